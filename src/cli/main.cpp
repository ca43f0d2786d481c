#include "cli/app.hpp"

#include <iostream>

int main(int argc, char** argv)
{
    std::ios::sync_with_stdio(false);
    image_secure::cli::Io io{std::cin, std::cout, std::cerr};
    return image_secure::cli::run(argc, argv, io);
}
