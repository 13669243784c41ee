#include "protocol/errc.hpp"

#include <string>

namespace gantry::protocol {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "gantry.protocol"; }

    std::string message(int code) const override {
        switch (static_cast<errc>(code)) {
            case errc::truncated_header:
                return "truncated packet header";
            case errc::truncated_vars:
                return "connection closed inside the vars block";
            case errc::truncated_key:
                return "truncated key in vars block";
            case errc::truncated_value:
                return "truncated value in vars block";
            case errc::empty_key:
                return "zero-length key in vars block";
            case errc::vars_too_large:
                return "vars block larger than --buffer-size";
            case errc::bad_content_length:
                return "invalid CONTENT_LENGTH";
            case errc::unsupported_modifier:
                return "unsupported modifier1 (only 0, WSGI, is served)";
            case errc::invalid_header:
                return "invalid response header (CR, LF or bad name)";
            case errc::invalid_status:
                return "invalid response status (want \"NNN Reason\")";
        }
        return "unknown protocol error";
    }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace gantry::protocol
