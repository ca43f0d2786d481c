#include <image_secure/base/json_records.hpp>
#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/rewrite/images.hpp>

#include <unordered_map>

namespace image_secure {

namespace {

bool already_on_target(const std::string& value, const MappingConfig* config) {
    if (config == nullptr) {
        return false;
    }
    auto mapped = map_image(value, *config);
    return mapped && mapped->outcome == MappedImage::Outcome::already_private;
}

} // namespace

std::vector<std::string> mention_warnings(const std::vector<ScannedFile>& files, const MappingConfig* config) {
    std::vector<std::string> out;
    for (const auto& file : files) {
        for (const auto& m : file.manifest->mentions) {
            if (already_on_target(m.value, config)) {
                continue;
            }
            out.push_back("image " + printable(m.value) + " is named in " + printable(m.field, 80) + " of "
                          + printable(file.manifest->objects[m.object].display(), 120)
                          + ", outside an image field: not rewritten, mirror it too ("
                          + format_location(file.display, m.at.line, m.at.column) + ")");
        }
    }
    return out;
}

std::string_view outcome_name(ImageOutcome outcome) {
    switch (outcome) {
    case ImageOutcome::rewrite:
        return "rewrite";
    case ImageOutcome::already_private:
        return "already-private";
    case ImageOutcome::skipped:
        return "skipped";
    case ImageOutcome::no_target:
        return "no-target";
    case ImageOutcome::invalid:
        return "invalid";
    case ImageOutcome::elsewhere:
        return "elsewhere";
    }
    return "invalid";
}

std::string_view outcome_phrase(ImageOutcome outcome) {
    switch (outcome) {
    case ImageOutcome::already_private:
        return "already on the target registry";
    case ImageOutcome::skipped:
        return "skipped by a rule";
    case ImageOutcome::no_target:
        return "no target";
    case ImageOutcome::invalid:
        return "not a valid reference";
    case ImageOutcome::elsewhere:
        return "outside an image field";
    case ImageOutcome::rewrite:
        break;
    }
    return outcome_name(outcome);
}

ImageOutcome outcome_of(const MappedImage& mapped) {
    switch (mapped.outcome) {
    case MappedImage::Outcome::rewritten:
        return ImageOutcome::rewrite;
    case MappedImage::Outcome::already_private:
        return ImageOutcome::already_private;
    case MappedImage::Outcome::skipped:
        return ImageOutcome::skipped;
    case MappedImage::Outcome::no_target:
        return ImageOutcome::no_target;
    case MappedImage::Outcome::not_a_reference:
        return ImageOutcome::invalid;
    }
    return ImageOutcome::invalid;
}

Result<std::vector<ImageEntry>>
collect_images(const std::vector<ScannedFile>& files, const MappingConfig* config, bool with_mentions) {
    std::vector<ImageEntry> entries;
    std::unordered_map<std::string, std::size_t> index;
    for (const auto& file : files) {
        const Manifest& m = *file.manifest;
        for (const auto& site : m.images) {
            if (site.style == ScalarStyle::alias) {
                continue;
            }
            const auto ref = parse_reference(site.value);
            const std::string key = ref ? ref->normalized() : site.value;
            auto [it, inserted] = index.emplace(key, entries.size());
            if (inserted) {
                ImageEntry entry;
                entry.image = key;
                entry.valid = ref.has_value();
                entry.error = ref ? "" : ref.error().what;
                entry.outcome = ref ? ImageOutcome::no_target : ImageOutcome::invalid;
                if (config != nullptr && ref) {
                    auto mapped = map_image(site.value, *config);
                    if (!mapped) {
                        Error error = mapped.error();
                        error.where = format_location(file.display, site.line, site.column);
                        return error;
                    }
                    entry.outcome = outcome_of(*mapped);
                    if (entry.outcome == ImageOutcome::rewrite) {
                        entry.target = mapped->target;
                    }
                }
                entries.push_back(std::move(entry));
            }
            const K8sObject& obj = m.objects[site.object];
            entries[it->second].uses.push_back({file.display,
                                                site.line,
                                                site.column,
                                                obj.kind + "/" + obj.name,
                                                site.container,
                                                site.field,
                                                site.value});
        }
    }
    if (!with_mentions) {
        return entries;
    }
    for (const auto& file : files) {
        const Manifest& m = *file.manifest;
        for (const auto& mention : m.mentions) {
            const auto ref = parse_reference(mention.value);
            const std::string key = "elsewhere:" + (ref ? ref->normalized() : mention.value);
            auto [it, inserted] = index.emplace(key, entries.size());
            if (inserted) {
                ImageEntry entry;
                entry.image = ref ? ref->normalized() : mention.value;
                entry.valid = ref.has_value();
                entry.outcome = ImageOutcome::elsewhere;
                entries.push_back(std::move(entry));
            }
            const K8sObject& obj = m.objects[mention.object];
            entries[it->second].uses.push_back({file.display,
                                                mention.at.line,
                                                mention.at.column,
                                                obj.kind + "/" + obj.name,
                                                "",
                                                mention.field,
                                                mention.value});
        }
    }
    return entries;
}

std::string render_images_text(const std::vector<ImageEntry>& images, bool with_targets) {
    std::string out;
    for (const auto& e : images) {
        out += printable(e.image);
        if (e.outcome == ImageOutcome::elsewhere) {
            out += "\t(outside an image field: " + printable(e.uses.empty() ? std::string() : e.uses.front().field, 80)
                   + ")\n";
            continue;
        }
        if (!e.valid) {
            out += "\t(invalid: " + e.error + ")";
        } else if (with_targets) {
            out += e.outcome == ImageOutcome::rewrite ? "\t" + e.target
                                                      : "\t(" + std::string(outcome_name(e.outcome)) + ")";
        }
        out += '\n';
    }
    return out;
}

std::string render_images_json(const std::vector<ImageEntry>& images, bool with_targets) {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const auto& e : images) {
        nlohmann::ordered_json r;
        r["image"] = e.image;
        r["valid"] = e.valid;
        if (!e.valid) {
            r["error"] = e.error;
        }
        if (with_targets || e.outcome == ImageOutcome::elsewhere) {
            r["target"] = e.target;
            r["outcome"] = outcome_name(e.outcome);
        }
        nlohmann::ordered_json locations = nlohmann::ordered_json::array();
        for (const auto& u : e.uses) {
            locations.push_back({{"file", u.file},
                                 {"line", u.line},
                                 {"column", u.column},
                                 {"object", u.object},
                                 {"container", u.container},
                                 {"field", u.field},
                                 {"value", u.value}});
        }
        r["locations"] = std::move(locations);
        records.push_back(std::move(r));
    }
    return render_json_records(records, {"locations"});
}

} // namespace image_secure
