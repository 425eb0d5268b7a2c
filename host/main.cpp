// tokenplan: GPU capacity planning for LLM serving. All logic lives in the libraries.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) { return tokenplan::run_cli(argc, argv, std::cout, std::cerr); }
