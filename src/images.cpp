#include <image_secure/images.hpp>

#include <image_secure/json_writer.hpp>
#include <image_secure/text.hpp>

#include <unordered_map>

namespace image_secure {

namespace {

bool already_on_target(const std::string& value, const MappingConfig* config)
{
    if (config == nullptr) {
        return false;
    }
    auto mapped = map_image(value, *config);
    return mapped && mapped->outcome == MappedImage::Outcome::already_private;
}

} // namespace

std::vector<std::string> mention_warnings(const std::vector<ScannedFile>& files, const MappingConfig* config)
{
    std::vector<std::string> out;
    for (const auto& file : files) {
        for (const auto& m : file.manifest->mentions) {
            if (already_on_target(m.value, config)) {
                continue;
            }
            out.push_back("image " + printable(m.value) + " is named in " + printable(m.field, 80) + " of "
                          + printable(file.manifest->objects[m.object].display(), 120)
                          + ", outside an image field: not rewritten, mirror it too (" + file.display + ":"
                          + std::to_string(m.at.line) + ":" + std::to_string(m.at.column) + ")");
        }
    }
    return out;
}

Result<std::vector<ImageEntry>> collect_images(const std::vector<ScannedFile>& files, const MappingConfig* config,
                                               bool with_mentions)
{
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
                entry.outcome = ref ? "no-target" : "invalid";
                if (config != nullptr && ref) {
                    auto mapped = map_image(site.value, *config);
                    if (!mapped) {
                        Error error = mapped.error();
                        error.where = file.display + ":" + std::to_string(site.line) + ":" + std::to_string(site.column);
                        return error;
                    }
                    using Outcome = MappedImage::Outcome;
                    switch (mapped->outcome) {
                    case Outcome::rewritten:
                        entry.outcome = "rewrite";
                        entry.target = mapped->target;
                        break;
                    case Outcome::already_private:
                        entry.outcome = "already-private";
                        break;
                    case Outcome::skipped:
                        entry.outcome = "skipped";
                        break;
                    case Outcome::no_target:
                        entry.outcome = "no-target";
                        break;
                    case Outcome::not_a_reference:
                        entry.outcome = "invalid";
                        break;
                    }
                }
                entries.push_back(std::move(entry));
            }
            const K8sObject& obj = m.objects[site.object];
            entries[it->second].uses.push_back(
                {file.display, site.line, site.column, obj.kind + "/" + obj.name, site.container, site.field, site.value});
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
                entry.outcome = "elsewhere";
                entries.push_back(std::move(entry));
            }
            const K8sObject& obj = m.objects[mention.object];
            entries[it->second].uses.push_back(
                {file.display, mention.at.line, mention.at.column, obj.kind + "/" + obj.name, "", mention.field,
                 mention.value});
        }
    }
    return entries;
}

std::string render_images_text(const std::vector<ImageEntry>& images, bool with_targets)
{
    std::string out;
    for (const auto& e : images) {
        out += printable(e.image);
        if (e.outcome == "elsewhere") {
            out += "\t(outside an image field: " + printable(e.uses.empty() ? std::string() : e.uses.front().field, 80)
                   + ")\n";
            continue;
        }
        if (!e.valid) {
            out += "\t(invalid: " + e.error + ")";
        } else if (with_targets) {
            out += e.outcome == "rewrite" ? "\t" + e.target : "\t(" + e.outcome + ")";
        }
        out += '\n';
    }
    return out;
}

std::string render_images_json(const std::vector<ImageEntry>& images, bool with_targets)
{
    std::string out = "[";
    bool first = true;
    for (const auto& e : images) {
        out += first ? "\n  {" : ",\n  {";
        first = false;
        out += "\"image\": ";
        append_json_string(out, e.image);
        out += e.valid ? ", \"valid\": true" : ", \"valid\": false, \"error\": ";
        if (!e.valid) {
            append_json_string(out, e.error);
        }
        if (with_targets || e.outcome == "elsewhere") {
            out += ", \"target\": ";
            append_json_string(out, e.target);
            out += ", \"outcome\": ";
            append_json_string(out, e.outcome);
        }
        out += ", \"locations\": [";
        bool first_use = true;
        for (const auto& u : e.uses) {
            out += first_use ? "\n    {" : ",\n    {";
            first_use = false;
            out += "\"file\": ";
            append_json_string(out, u.file);
            out += ", \"line\": " + std::to_string(u.line) + ", \"column\": " + std::to_string(u.column);
            out += ", \"object\": ";
            append_json_string(out, u.object);
            out += ", \"container\": ";
            append_json_string(out, u.container);
            out += ", \"field\": ";
            append_json_string(out, u.field);
            out += ", \"value\": ";
            append_json_string(out, u.value);
            out += "}";
        }
        out += e.uses.empty() ? "]}" : "\n  ]}";
    }
    out += images.empty() ? "]\n" : "\n]\n";
    return out;
}

} // namespace image_secure
