#pragma once

// A transport seam for unit tests: requests go to a handler (the "server" a test writes)
// instead of the network, and every request is recorded. Redirects are followed the way the
// curl transport follows them (http::apply_redirect), so a test sees what would be sent.

#include <image_secure/http/redirect.hpp>
#include <image_secure/http/transport.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace image_secure::testing {

/// What the fake server saw and how it answers; shared between a test and its transport.
struct FakeServer {
    std::function<http::Response(const http::Request&)> handler;
    std::vector<http::Request> seen; ///< every request, redirect hops included
    http::TransportOptions options;  ///< what the client configured

    /// Requests whose URL contains `part`.
    [[nodiscard]] std::vector<const http::Request*> matching(const std::string& part) const {
        std::vector<const http::Request*> out;
        for (const auto& r : seen) {
            if (r.url.find(part) != std::string::npos) {
                out.push_back(&r);
            }
        }
        return out;
    }
};

class FakeTransport final : public http::Transport {
  public:
    explicit FakeTransport(std::shared_ptr<FakeServer> server) : m_server(std::move(server)) {}

    std::vector<http::Response> perform(std::vector<http::Request> requests) override {
        std::vector<http::Response> out;
        for (auto& r : requests) {
            out.push_back(one(std::move(r)));
        }
        return out;
    }

    void set_tick(std::function<void()> /*tick*/) override {}

  private:
    http::Response one(http::Request r) {
        for (int hop = 0;; ++hop) {
            m_server->seen.push_back(r);
            http::Response resp = m_server->handler(r);
            resp.url = r.url;
            if (!r.follow_redirects || hop >= 5) {
                return resp;
            }
            std::string refused;
            switch (http::apply_redirect(r, resp, m_server->options.plain_allowed, refused)) {
            case http::RedirectStep::none:
                if (r.download && resp.ok()) {
                    r.download->write(resp.body.data(), resp.body.size());
                    r.download->finish();
                    resp.body.clear();
                }
                return resp;
            case http::RedirectStep::refused:
                return http::Response{0, {}, {}, refused, r.url, {}, false};
            case http::RedirectStep::follow:
                continue;
            }
        }
    }

    std::shared_ptr<FakeServer> m_server;
};

/// A factory for RegistryOptions::transport that hands out transports on `server`.
inline http::TransportFactory fake_transport(std::shared_ptr<FakeServer> server) {
    return [server](http::TransportOptions options) -> std::unique_ptr<http::Transport> {
        server->options = std::move(options);
        return std::make_unique<FakeTransport>(server);
    };
}

/// A response with a status, a body and headers ("Name: value").
inline http::Response reply(long status, std::string body = {}, const std::vector<std::string>& headers = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    for (const auto& h : headers) {
        const auto colon = h.find(':');
        std::string name = h.substr(0, colon);
        for (auto& c : name) {
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        r.headers.emplace_back(name, h.substr(h.find_first_not_of(' ', colon + 1)));
    }
    return r;
}

/// The value of a header of a recorded request ("" when absent).
inline std::string header_of(const http::Request& r, const std::string& name_colon) {
    for (const auto& h : r.headers) {
        if (h.rfind(name_colon, 0) == 0) {
            return h.substr(name_colon.size() + 1);
        }
    }
    return {};
}

} // namespace image_secure::testing
