#include "server.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <random>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api.h"
#include "assets.h"
#include "byte_ranges.h"
#include "guarded_http_server.h"
#include "http_error.h"
#include "security.h"
#include "vigil/tracker/errors.h"

namespace vigil::ui {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  if (auto existing = spdlog::get("vigil")) return existing;
  try {
    return spdlog::stderr_color_mt("vigil");
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get("vigil");  // created by another thread meanwhile
  }
}

bool is_api_path(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

// Bodies go out through a sized content provider: Debian's httplib otherwise compresses every
// text body with Brotli at its slowest quality whenever the browser accepts "br", which costs
// hundreds of milliseconds per response and buys nothing on loopback.
void set_body(httplib::Response& res, std::string_view body, const std::string& type,
              std::shared_ptr<const std::string> owner = nullptr) {
  if (body.empty()) {
    res.set_content("", type);
    return;
  }
  res.set_content_provider(
      body.size(), type,
      [body, owner](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        // Never past the end, whatever offset and length httplib asks for.
        if (offset >= body.size()) return false;
        return sink.write(body.data() + offset, std::min(length, body.size() - offset));
      });
}

void set_text(httplib::Response& res, std::string text, const std::string& type) {
  auto owner = std::make_shared<const std::string>(std::move(text));
  set_body(res, *owner, type, owner);
}

bool has_body(const httplib::Response& res) { return !res.body.empty() || res.content_length_ > 0; }

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  // Store strings are not guaranteed UTF-8; replace bad bytes rather than fail the request.
  set_text(res, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
           "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// Runs an endpoint and maps every refusal to its status code; nothing escapes as a crash.
template <typename Fn>
void answer(httplib::Response& res, Fn&& fn) {
  try {
    send_json(res, 200, fn());
  } catch (const HttpError& e) {
    send_error(res, e.status(), e.what());
  } catch (const tracker::RunNotFound& e) {
    send_error(res, 404, e.what());
  } catch (const tracker::AmbiguousRunId& e) {
    send_error(res, 409, e.what());
  } catch (const vigil::InvalidArgument& e) {  // any component's malformed-value error
    send_error(res, 400, e.what());
  } catch (const std::exception& e) {
    logger()->error("vigil ui: {}", e.what());
    send_error(res, 500, e.what());
  }
}

std::string reason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 403:
      return "forbidden";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 414:
      return "request URI too long";
    case 415:
      return "unsupported media type";
    case 416:
      return "range not satisfiable";
    default:
      return "HTTP status " + std::to_string(status);
  }
}

// Request framing refused before any body is read: bodies over `max_body` and compressed bodies
// (inflating is not bounded by any limit).
std::optional<HttpError> framing_problem(const httplib::Request& req, std::size_t max_body) {
  std::string encoding = req.get_header_value("Content-Encoding");
  std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!encoding.empty() && encoding != "identity") {
    return HttpError(415, "compressed request bodies (Content-Encoding) are not accepted");
  }
  // Refused before reading: httplib would otherwise read (and drop) the whole announced body.
  const std::string length = req.get_header_value("Content-Length");
  const bool digits = !length.empty() && length.size() <= 18 &&
                      std::all_of(length.begin(), length.end(),
                                  [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!length.empty() && !digits) {
    return HttpError(400, "Content-Length '" + length + "' is not a byte count");
  }
  if (digits && std::stoull(length) > max_body) {
    return HttpError(413, "request body of " + length + " bytes is over the limit of " +
                              std::to_string(max_body) + " bytes");
  }
  return std::nullopt;
}

// Answers a request refused before routing and closes the connection (its body stays unread).
httplib::Server::HandlerResponse refuse(const httplib::Request& req, httplib::Response& res,
                                        int status, const std::string& message) {
  GuardedHttpServer::close_after_response();
  res.status = status;
  if (is_api_path(req.path)) {
    send_error(res, status, message);
  } else {
    set_text(res, message + "\n", "text/plain; charset=utf-8");
  }
  return httplib::Server::HandlerResponse::Handled;
}

// httplib 0.11.4 slices every response by the ranges it parsed from a Range header, and gets
// suffix, multi-range and out-of-bounds ranges wrong for sized content providers. Routed
// requests are answered by serve_asset's own range handling instead: the parsed ranges are
// taken away before routing. The Request is httplib's own non-const object, handed to the
// pre-routing handler as const only by signature, so clearing the member is well defined.
void take_ranges_from_httplib(const httplib::Request& req) {
  const_cast<httplib::Request&>(req).ranges.clear();
}

// A boundary for multipart/byteranges that does not occur in `data`.
std::string multipart_boundary(std::string_view data) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  while (true) {
    char text[32];
    std::snprintf(text, sizeof text, "vigil-%016llx", static_cast<unsigned long long>(random()));
    if (data.find(text) == std::string_view::npos) return text;
  }
}

// An embedded asset, whole (200) or the byte ranges a Range header asks for (206 or 416).
void serve_asset(const httplib::Request& req, httplib::Response& res, const Asset& asset) {
  res.set_header("Cache-Control", "no-cache");
  const std::string type(asset.content_type);
  // If-Range names a validator this server never hands out: the ranges are ignored.
  const RangeAnswer answer =
      req.has_header("Range") && !req.has_header("If-Range")
          ? parse_byte_ranges(req.get_header_value("Range"), asset.data.size())
          : RangeAnswer{};
  switch (answer.kind) {
    case RangeAnswer::Kind::kWhole:
      res.status = 200;
      set_body(res, asset.data, type);  // static storage
      return;
    case RangeAnswer::Kind::kUnsatisfiable:
      res.status = 416;
      res.set_header("Content-Range", content_range(nullptr, asset.data.size()));
      set_text(res, "range not satisfiable\n", "text/plain; charset=utf-8");
      return;
    case RangeAnswer::Kind::kPartial:
      res.status = 206;
      if (answer.ranges.size() == 1) {
        const ByteRange& range = answer.ranges.front();
        res.set_header("Content-Range", content_range(&range, asset.data.size()));
        set_body(res, asset.data.substr(range.first, range.length), type);
        return;
      }
      const std::string boundary = multipart_boundary(asset.data);
      set_text(res, multipart_byteranges(asset.data, answer.ranges, type, boundary),
               "multipart/byteranges; boundary=" + boundary);
      return;
  }
}

// Every API route and its methods, to tell 405 (known path, wrong method) from 404.
struct ApiRoute {
  std::regex pattern;
  const char* allowed;
};

const std::vector<ApiRoute>& api_routes() {
  static const std::vector<ApiRoute> routes = {
      {std::regex("/api/runs"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+/series"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+/points"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+/validations"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+/ranks"), "GET, HEAD"},
      {std::regex("/api/runs/[^/]+/tags"), "POST"},
      {std::regex("/api/experiments"), "GET, HEAD"},
      {std::regex("/api/meta"), "GET, HEAD"},
      {std::regex("/api/governance/summary"), "GET, HEAD"},
      {std::regex("/api/waivers"), "GET, HEAD"},
      {std::regex("/api/audit"), "GET, HEAD"},
      {std::regex("/api/policies/[^/]+"), "GET, HEAD"},
  };
  return routes;
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {
  if (options_.host.empty()) throw UsageError("--host is empty; expected an address to bind");
  if (options_.port < 0 || options_.port > 65535) {
    throw UsageError("--port " + std::to_string(options_.port) +
                     " is out of range; expected 0-65535");
  }
  if (!is_loopback_host(options_.host) && options_.token.empty() && !options_.insecure) {
    throw UsageError("--host " + options_.host +
                     " is reachable from other machines; pass --token TOKEN to require a token "
                     "(or --insecure to serve the store to anyone who can connect)");
  }
  const auto& limits = options_.limits;
  if (limits.request_deadline.count() <= 0 || limits.response_deadline.count() <= 0 ||
      limits.worker_threads == 0 || limits.keep_alive_max_requests == 0) {
    throw UsageError(
        "ServerOptions::limits: deadlines, worker_threads and keep_alive_max_requests must be > 0");
  }
  api_ = std::make_unique<Api>(options_.store_uri);
  http_ = std::make_unique<GuardedHttpServer>(options_.limits);
  install_routes();
}

Server::~Server() noexcept { stop(); }

const std::string& Server::store_uri() const { return api_->store_uri(); }

void Server::install_routes() {
  auto& http = *http_;
  // httplib's default sets SO_REUSEPORT, which would let a second `vigil ui` share the port
  // silently; SO_REUSEADDR alone still allows a quick restart.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                            {"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cross-Origin-Resource-Policy", "same-origin"}});
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    logger()->debug("vigil ui: {} {} -> {}", req.method, req.path, res.status);
  });

  const bool check_host = is_loopback_host(options_.host);
  http.set_pre_routing_handler(
      [this, check_host](const httplib::Request& req, httplib::Response& res) {
        take_ranges_from_httplib(req);
        res.set_header("Accept-Ranges", is_api_path(req.path) ? "none" : "bytes");
        if (auto problem = framing_problem(req, options_.limits.max_body_bytes)) {
          return refuse(req, res, problem->status(), problem->what());
        }
        // HTTP: neither length nor chunking means no body; httplib would read until the
        // client closes.
        if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
          GuardedHttpServer::request_has_no_body();
        }
        if (check_host) {
          if (auto problem = loopback_host_problem(req)) return refuse(req, res, 403, *problem);
        }
        if (!is_api_path(req.path)) return httplib::Server::HandlerResponse::Unhandled;
        if (!options_.token.empty() && !has_token(req, options_.token)) {
          return refuse(req, res, 403,
                        "missing or wrong token: send the header 'Authorization: Bearer TOKEN'");
        }
        if (auto problem = cross_origin_problem(req)) return refuse(req, res, 403, *problem);
        return httplib::Server::HandlerResponse::Unhandled;
      });

  const std::string run = "/api/runs/([^/]+)";
  http.Get("/api/runs", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->list_runs(parse_query_string(req.target)); });
  });
  http.Get(run, [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->get_run(req.matches[1]); });
  });
  http.Get(run + "/series", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->series(req.matches[1]); });
  });
  http.Get(run + "/points", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->points(req.matches[1], parse_query_string(req.target)); });
  });
  http.Get(run + "/validations", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->validations(req.matches[1]); });
  });
  http.Get(run + "/ranks", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->ranks(req.matches[1]); });
  });
  http.Get("/api/experiments", [this](const httplib::Request&, httplib::Response& res) {
    answer(res, [&] { return api_->experiments(); });
  });
  http.Get("/api/meta", [this](const httplib::Request&, httplib::Response& res) {
    answer(res, [&] { return api_->meta(); });
  });
  install_governance_routes();
  http.Post(run + "/tags", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      // A JSON content type cannot be sent cross-origin without a CORS preflight, which this
      // server never grants: a second line of defence after the Origin check.
      if (!is_json_content_type(req)) {
        throw HttpError(415, "Content-Type must be application/json");
      }
      return api_->update_tags(req.matches[1], req.body);
    });
  });

  // Everything else: embedded assets by exact path, 405 for known paths with the wrong
  // method, 404 otherwise. No filesystem is ever consulted.
  const auto fallback = [](const httplib::Request& req, httplib::Response& res) {
    const bool read = req.method == "GET" || req.method == "HEAD";
    if (is_api_path(req.path)) {
      for (const auto& route : api_routes()) {
        if (std::regex_match(req.path, route.pattern)) {
          res.set_header("Allow", route.allowed);
          send_error(
              res, 405,
              req.method + " is not allowed on " + req.path + " (allowed: " + route.allowed + ")");
          return;
        }
      }
      send_error(res, 404, "no API endpoint " + req.path + " (see API.md)");
      return;
    }
    const Asset* asset = find_asset(req.path);
    if (asset == nullptr) {
      res.status = 404;
      set_text(res, "not found\n", "text/plain; charset=utf-8");
    } else if (!read) {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      set_text(res, "method not allowed\n", "text/plain; charset=utf-8");
    } else {
      serve_asset(req, res, *asset);
    }
  };
  http.Get(".*", fallback);
  http.Post(".*", fallback);
  http.Put(".*", fallback);
  http.Patch(".*", fallback);
  http.Delete(".*", fallback);
  http.Options(".*", fallback);

  // Statuses httplib sets itself (bad request line, body too large...) get a body too.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // httplib reports a body cut off at the limit as a bad request.
    if (GuardedHttpServer::body_limit_exceeded()) res.status = 413;
    // httplib slices an error body by any ranges it parsed itself (see take_ranges_from_httplib).
    if (has_body(res) || !req.ranges.empty()) return;
    if (is_api_path(req.path)) {
      send_error(res, res.status, reason(res.status));
    } else {
      set_text(res, reason(res.status) + "\n", "text/plain; charset=utf-8");
    }
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message = e.what();
        } catch (...) {
        }
        logger()->error("vigil ui: {}", message);
        send_error(res, 500, message);
      });
}

// The Governance page's endpoints (GovernanceApi).
void Server::install_governance_routes() {
  auto& http = *http_;
  http.Get("/api/governance/summary", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->governance_summary(parse_query_string(req.target)); });
  });
  http.Get("/api/waivers", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->waivers(parse_query_string(req.target)); });
  });
  http.Get("/api/audit", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->audit(parse_query_string(req.target)); });
  });
  http.Get("/api/policies/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] { return api_->policy(req.matches[1]); });
  });
}

int Server::bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw BindError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                    " (address in use, or not an address of this machine)");
  }
  port_ = port;
  return port;
}

void Server::serve() {
  serving_ = true;
  // Builds the unfiltered listing while the browser is still loading the page, so the first
  // runs table comes from the snapshot cache (it is rebuilt if the store changes meanwhile).
  std::thread prewarm([this] {
    try {
      api_->list_runs({{"facets", "1"}, {"limit", "1"}, {"offset", "0"}});
    } catch (const std::exception& e) {
      logger()->warn("vigil ui: cannot list runs: {}", e.what());
    }
  });
  if (!stop_requested_) http_->listen_after_bind();
  prewarm.join();
  serving_ = false;
}

void Server::stop() noexcept {
  stop_requested_ = true;
  // serve() may be between its check and the accept loop; wait until it either runs (then stop
  // it) or has returned.
  while (serving_ && !http_->is_running()) std::this_thread::yield();
  if (http_ && http_->is_running()) http_->stop();
}

std::string Server::url() const {
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  std::string url = "http://" + (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" +
                    std::to_string(port()) + "/";
  if (!options_.token.empty()) url += "#token=" + options_.token;
  return url;
}

}  // namespace vigil::ui
