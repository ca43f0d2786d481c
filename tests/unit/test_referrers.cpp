// Referrers: the fallback tag's name, a referrer's descriptor and the fallback index merge
// (OCI distribution spec 1.1, "Referrers Tag Schema"), expectations written by hand; and a
// manifest's subject/artifactType parsed (image spec 1.1).
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/rate_limit.hpp>
#include <image_secure/registry/referrers.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace image_secure;

namespace {

const char* const k_subject = "sha256:53e0ba5885e095a76eac39ed27e7c75fa97d1329e600824875e4a1d832ce29ab";

FetchedManifest notation_signature() {
    FetchedManifest m;
    m.bytes =
        std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)")
        + R"("artifactType":"application/vnd.cncf.notary.signature",)"
        + R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},)"
        + R"("layers":[{"mediaType":"application/jose+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001","size":10}],)"
        + R"("subject":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + k_subject
        + R"(","size":501},"annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z"}})";
    m.media_type = "application/vnd.oci.image.manifest.v1+json";
    m.digest = oci::sha256_digest(m.bytes);
    auto parsed = oci::parse_manifest(m.bytes, m.media_type);
    REQUIRE(parsed);
    m.parsed = *parsed;
    return m;
}

} // namespace

TEST_CASE("referrers: the fallback tag replaces the algorithm's colon") {
    CHECK(referrers_tag(k_subject) == "sha256-53e0ba5885e095a76eac39ed27e7c75fa97d1329e600824875e4a1d832ce29ab");
}

TEST_CASE("referrers: a manifest's subject, artifactType and annotations are parsed") {
    const auto m = notation_signature();
    REQUIRE(m.parsed.subject);
    CHECK(m.parsed.subject->digest == k_subject);
    CHECK(m.parsed.subject->size == 501);
    CHECK(m.parsed.artifact_type == "application/vnd.cncf.notary.signature");
    REQUIRE(m.parsed.annotations.size() == 1);
    CHECK(m.parsed.annotations[0].first == "org.opencontainers.image.created");
    CHECK(Referrer{Referrer::Via::api, k_subject, "", m}.kind() == "application/vnd.cncf.notary.signature");
    CHECK(Referrer{Referrer::Via::cosign_tag, k_subject, "sha256-ab.att", m}.kind() == "cosign attestation");
}

TEST_CASE("referrers: a subject that is not a descriptor is an error") {
    CHECK_FALSE(oci::parse_manifest(
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"subject":{"digest":"nope","size":1}})",
        ""));
}

TEST_CASE("referrers: the descriptor a referrers index lists") {
    const auto m = notation_signature();
    const auto d = nlohmann::json::parse(referrer_descriptor(m));
    CHECK(d["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
    CHECK(d["digest"] == m.digest);
    CHECK(d["size"] == m.bytes.size());
    CHECK(d["artifactType"] == "application/vnd.cncf.notary.signature");
    CHECK(d["annotations"]["org.opencontainers.image.created"] == "2024-01-02T03:04:05Z");
    CHECK_FALSE(d.contains("subject"));
}

TEST_CASE("referrers: the fallback index is extended, never shrunk, and unchanged writes are skipped") {
    const std::string a = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":1})";
    const std::string b = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":2})";
    // Nothing there yet: a new OCI index.
    auto fresh = merge_referrers_index(std::nullopt, {a});
    REQUIRE(fresh);
    auto doc = nlohmann::json::parse(*fresh);
    CHECK(doc["schemaVersion"] == 2);
    CHECK(doc["mediaType"] == "application/vnd.oci.image.index.v1+json");
    REQUIRE(doc["manifests"].size() == 1);
    CHECK(doc["manifests"][0]["digest"] == "sha256:aa");
    // Someone else's entry stays, ours is added after it, a duplicate is not.
    const std::string theirs =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"x","digest":"sha256:zz","size":9,"artifactType":"t"}]})";
    auto merged = merge_referrers_index(theirs, {a, b, a});
    REQUIRE(merged);
    doc = nlohmann::json::parse(*merged);
    REQUIRE(doc["manifests"].size() == 3);
    CHECK(doc["manifests"][0]["digest"] == "sha256:zz");
    CHECK(doc["manifests"][0]["artifactType"] == "t");
    CHECK(doc["manifests"][1]["digest"] == "sha256:aa");
    CHECK(doc["manifests"][2]["digest"] == "sha256:bb");
    // Everything already listed: no write.
    CHECK_FALSE(merge_referrers_index(*merged, {b}));
    // A damaged index is replaced by one with ours.
    auto repaired = merge_referrers_index(std::string("not json"), {b});
    REQUIRE(repaired);
    CHECK(nlohmann::json::parse(*repaired)["manifests"].size() == 1);
}

TEST_CASE("rate limits: Docker Hub's and the IETF draft's header values") {
    http::Response r;
    r.headers = {{"ratelimit-limit", "100;w=21600"}, {"ratelimit-remaining", "76;w=21600"}};
    auto l = rate_limit_of(r);
    REQUIRE(l);
    CHECK(l->limit == 100);
    CHECK(l->remaining == 76);
    CHECK(l->window == 21600);
    CHECK(l->str() == "76 of 100 left (window 6 h)");
    r.headers = {{"ratelimit-remaining", " 3"}};
    l = rate_limit_of(r);
    REQUIRE(l);
    CHECK(l->limit == -1);
    CHECK(l->str() == "3 left");
    r.headers = {{"ratelimit-limit", "5000, 5000;w=3600"}, {"ratelimit-remaining", "0;w=60"}};
    l = rate_limit_of(r);
    REQUIRE(l);
    CHECK(l->limit == 5000);
    CHECK(l->window == 60);
    CHECK(l->str() == "0 of 5000 left (window 1 min)");
    r.headers = {{"ratelimit-remaining", "lots"}};
    CHECK_FALSE(rate_limit_of(r));
    r.headers = {};
    CHECK_FALSE(rate_limit_of(r));
    CHECK(spends_rate_limit("GET", "/v2/library/nginx/manifests/1.27"));
    CHECK_FALSE(spends_rate_limit("HEAD", "/v2/library/nginx/manifests/1.27"));
    CHECK_FALSE(spends_rate_limit("GET", "/v2/library/nginx/blobs/sha256:ab"));
}
