// libFuzzer target: the --ini reader (sections, key = value lines, bare flags, magic
// variables, %(key) with arithmetic, $(VAR), if-*/for blocks, includes).
#include <cstddef>
#include <cstdint>

#include "fuzz/config_fuzz.hpp"
#include "server/options/load_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return gantry::fuzz::load_and_store(data, size, gantry::server::config_kind::ini);
}
