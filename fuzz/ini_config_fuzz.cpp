// libFuzzer target: the --ini loader (sections, key = value lines, %(key), %d, $(VAR)).
#include <cstddef>
#include <cstdint>

#include "fuzz/config_fuzz.hpp"
#include "server/options/ini_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return gantry::fuzz::load_and_store(data, size, gantry::server::load_ini_text);
}
