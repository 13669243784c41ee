// The fuzz build defines BOOST_ENABLE_ASSERT_HANDLER: a failed BOOST_ASSERT (Beast's, ours)
// comes here and aborts, so libFuzzer reports it, but for one known-wrong assertion.
//
// Boost 1.74's basic_parser::parse_chunk_header asserts n >= 5 when it resumes after a last
// chunk ("0\r\n") whose trailer has not arrived. With no chunk before it (an empty chunked
// body) that line is 3 bytes, and one more byte read makes n == 4: the assertion fails though
// the code after it handles the case (need_more until CRLF CRLF). Fixed in Beast by
// boostorg/beast#2861 (Boost 1.86); our builds define NDEBUG, where it is compiled out.
#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    if (std::strcmp(expr, "n >= 5") == 0 &&
        std::strstr(function, "parse_chunk_header") != nullptr) {
        return;
    }
    std::fprintf(stderr, "%s:%ld: %s: Assertion '%s' failed.\n", file, line, function, expr);
    std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
    std::fprintf(stderr, "%s:%ld: %s: Assertion '%s' failed: %s\n", file, line, function, expr,
                 msg);
    std::abort();
}

}  // namespace boost
