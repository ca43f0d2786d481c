// The RE2 matcher behind `match: {regex: ...}` rules: the only file that includes RE2.
#include <image_secure/rewrite/mapping.hpp>

#include <re2/re2.h>

#include <memory>

namespace image_secure {

class RegexMatcher {
  public:
    explicit RegexMatcher(const std::string& pattern) : m_re(pattern, RE2::Quiet) {}

    [[nodiscard]] bool ok() const { return m_re.ok(); }

    [[nodiscard]] std::string error() const { return m_re.error(); }

    [[nodiscard]] const RE2& re() const { return m_re; }

  private:
    RE2 m_re;
};

bool regex_full_match(const RegexMatcher& matcher, std::string_view text, std::vector<std::string>& groups) {
    const RE2& re = matcher.re();
    const int n = re.NumberOfCapturingGroups();
    std::vector<re2::StringPiece> pieces(static_cast<std::size_t>(n) + 1);
    if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::ANCHOR_BOTH, pieces.data(), n + 1)) {
        return false;
    }
    groups.clear();
    for (const auto& piece : pieces) {
        groups.emplace_back(piece.data() == nullptr ? "" : std::string(piece.data(), piece.size()));
    }
    return true;
}

Result<std::shared_ptr<const RegexMatcher>> compile_regex(const std::string& pattern) {
    auto re = std::make_shared<RegexMatcher>(pattern);
    if (!re->ok()) {
        return usage_error("invalid regex: " + re->error());
    }
    return std::shared_ptr<const RegexMatcher>(std::move(re));
}

} // namespace image_secure
