#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace vigil::ui {

/// The Content-Security-Policy of every response: only the embedded scripts and styles run,
/// nothing inline, no framing, no requests to other origins.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'";

/// True for addresses only this machine can reach: "localhost", 127.0.0.0/8, "::1".
bool is_loopback_host(std::string_view host);

/// True when the request carries `token` as "Authorization: Bearer TOKEN" or ?token=TOKEN
/// (in the request target).
/// Compares in constant time.
bool has_token(const httplib::Request& request, const std::string& token);

/// Why the request must be refused as coming from another site, or nullopt when it may be
/// served: a Sec-Fetch-Site other than same-origin/none, or an Origin that is not this server.
std::optional<std::string> cross_origin_problem(const httplib::Request& request);

/// Why the Host header is refused when serving on loopback (DNS-rebinding defence: only
/// localhost, 127.x.x.x and [::1] are accepted), or nullopt when it is fine.
std::optional<std::string> loopback_host_problem(const httplib::Request& request);

/// True when the Content-Type header is application/json (parameters such as charset allowed).
bool is_json_content_type(const httplib::Request& request);

}  // namespace vigil::ui
