// Utilities: SHA-256 against FIPS test vectors, suggestions (the output writer: test_output_file.cpp).
#include <gtest/gtest.h>

#include "base/sha256.hpp"
#include "base/text.hpp"

namespace tokenplan {
namespace {

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Lengths around the padding boundary (55, 56, 64 bytes) take the one- and two-block paths.
  EXPECT_NE(sha256_hex(std::string(55, 'x')), sha256_hex(std::string(56, 'x')));
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Text, EditDistanceAndSuggestions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest_name("hiden_size", {"hidden_size", "vocab_size"}), "hidden_size");
  EXPECT_EQ(nearest_name("h200", {"h200-sxm", "h100-sxm", "b200"}), "b200");
  EXPECT_EQ(nearest_name("completely-different", {"h200-sxm"}), "");
  EXPECT_EQ(did_you_mean("H200-SXM", {"h200-sxm"}), " (did you mean 'h200-sxm'?)");
}

// Issue 14: control characters from inputs never reach a terminal.
TEST(Text, PrintableEscapesControlCharacters) {
  EXPECT_EQ(printable("llama-3.1-70b"), "llama-3.1-70b");
  EXPECT_EQ(printable("\x1b[31mred\nline\t\x7f"), "\\u001b[31mred\\u000aline\\u0009\\u007f");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\u0000b");
  EXPECT_EQ(printable("\xc2\x9b" "2J \xc2\x85"), "\\u009b2J \\u0085");           // C1: CSI, NEL
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");  // UTF-8 kept
  EXPECT_EQ(printable("\x9b" "2J \xff \xc3"), "\\x9b2J \\xff \\xc3");               // not UTF-8
  const std::string once = printable("\x1b]0;title\x07\xc2\x9b");
  EXPECT_EQ(printable(once), once);  // idempotent
}

}  // namespace
}  // namespace tokenplan
