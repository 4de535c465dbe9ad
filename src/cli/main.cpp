#include "cli/cli.h"

int main(int argc, char** argv) { return troupe::cli::Run(argc, argv); }
