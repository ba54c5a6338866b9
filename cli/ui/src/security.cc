#include "security.h"

#include <algorithm>
#include <cctype>

#include "runs_query.h"

namespace vigil::ui {
namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// The host part of a Host header value: "[::1]:80" -> "::1", "localhost:80" -> "localhost".
std::string host_part(std::string_view value) {
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    return lower(value.substr(1, close == std::string_view::npos ? value.size() : close - 1));
  }
  return lower(value.substr(0, value.find(':')));
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  const auto name = lower(host);
  if (name == "localhost" || name == "::1" || name == "[::1]") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (name.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (const char c : name) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

bool has_token(const httplib::Request& request, const std::string& token) {
  const std::string prefix = "Bearer ";
  if (request.has_header("Authorization")) {
    const auto value = request.get_header_value("Authorization");
    if (value.size() > prefix.size() && value.compare(0, prefix.size(), prefix) == 0 &&
        constant_time_equal(std::string_view(value).substr(prefix.size()), token)) {
      return true;
    }
  }
  const auto params = parse_query_string(request.target);
  const auto it = params.find("token");
  return it != params.end() && constant_time_equal(it->second, token);
}

std::optional<std::string> cross_origin_problem(const httplib::Request& request) {
  if (request.has_header("Sec-Fetch-Site")) {
    const auto site = lower(request.get_header_value("Sec-Fetch-Site"));
    if (site != "same-origin" && site != "none") {
      return "cross-origin request refused (Sec-Fetch-Site: " + site + ")";
    }
  }
  if (request.has_header("Origin")) {
    const auto origin = lower(request.get_header_value("Origin"));
    const auto host = lower(request.get_header_value("Host"));
    if (host.empty() || (origin != "http://" + host && origin != "https://" + host)) {
      return "cross-origin request refused (Origin " + origin + " is not this server)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> loopback_host_problem(const httplib::Request& request) {
  if (!request.has_header("Host")) return std::nullopt;  // HTTP/1.0 clients send none
  const auto value = request.get_header_value("Host");
  if (is_loopback_host(host_part(value))) return std::nullopt;
  return "Host '" + value + "' refused: this server only answers to localhost addresses";
}

bool is_json_content_type(const httplib::Request& request) {
  const auto type = lower(request.get_header_value("Content-Type"));
  const auto base = type.substr(0, type.find(';'));
  const auto first = base.find_first_not_of(' ');
  const auto last = base.find_last_not_of(' ');
  return first != std::string::npos && base.substr(first, last - first + 1) == "application/json";
}

}  // namespace vigil::ui
