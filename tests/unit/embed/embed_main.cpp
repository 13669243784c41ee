// One interpreter for the whole run, as in a worker: Python cannot be started twice in a
// process, so the embed tests have a main of their own.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "embed/interpreter.hpp"

int main(int argc, char** argv) {
    gantry::embed::interpreter python(
        {.python_path = {GANTRY_EMBED_TEST_APPS}, .virtualenv = {}, .optimization_level = 0});
    return Catch::Session().run(argc, argv);
}
