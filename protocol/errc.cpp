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
                return "invalid response header (control byte or bad name)";
            case errc::invalid_status:
                return "invalid response status (want \"NNN Reason\", 200 to 599)";
            case errc::http_bad_request:
                return "malformed HTTP request line or header";
            case errc::http_header_too_large:
                return "HTTP request line and headers larger than the limit";
            case errc::http_body_too_large:
                return "HTTP request body larger than --limit-post";
            case errc::http_content_length_with_chunked:
                return "HTTP request with both Content-Length and Transfer-Encoding";
            case errc::http_unsupported_transfer_encoding:
                return "HTTP Transfer-Encoding other than chunked";
            case errc::http_bad_chunk:
                return "malformed chunked HTTP request body";
            case errc::http_bad_host:
                return "HTTP Host header missing, repeated or invalid";
            case errc::http_host_mismatch:
                return "HTTP absolute-form request-target and Host header name different hosts";
            case errc::http_obs_fold:
                return "HTTP header line folded onto the next (obs-fold, RFC 9112 5.2)";
            case errc::http_bare_cr:
                return "bare CR in the HTTP request head";
            case errc::http_nul_in_path:
                return "NUL (%00) in the HTTP request path";
            case errc::http_unsupported_version:
                return "HTTP version other than 1.0 and 1.1";
            case errc::http_truncated_head:
                return "connection closed inside the HTTP request head";
            case errc::http_truncated_body:
                return "connection closed inside the HTTP request body";
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
