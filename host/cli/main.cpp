// tokenplan: GPU capacity planning for LLM serving. All logic lives in the libraries.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  // A closed standard descriptor would be taken by the next file opened (an output's temporary
  // file could become "stdout"): hold each one on /dev/null opened read-only, so writes to a
  // closed stdout or stderr still fail (EBADF) and are reported, and never land in a file.
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int held = ::open("/dev/null", O_RDONLY);
      if (held >= 0 && held != fd) {
        ::dup2(held, fd);
        ::close(held);
      }
    }
  }
  // A file size limit (ulimit -f) makes a write fail with EFBIG, reported like a full disk, instead
  // of killing the process with SIGXFSZ halfway through an output.
  std::signal(SIGXFSZ, SIG_IGN);
  return tokenplan::run_cli(argc, argv, std::cout, std::cerr);
}
