#include <image_secure/audit/audit.hpp>
#include <image_secure/base/location.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/reference/reference.hpp>

#include <map>

namespace image_secure::audit {

Result<std::vector<AuditTarget>> targets_from_manifests(const std::vector<ScannedFile>& files, bool skip_invalid) {
    std::vector<AuditTarget> out;
    std::map<std::string, std::size_t> index;
    for (const auto& file : files) {
        const Manifest& m = *file.manifest;
        std::map<std::size_t, const ContainerFact*> container_of; // image site -> container
        for (const auto& c : m.containers) {
            if (c.image != k_npos) {
                container_of[c.image] = &c;
            }
        }
        for (std::size_t i = 0; i < m.images.size(); ++i) {
            const ImageSite& site = m.images[i];
            auto ref = parse_reference(site.value);
            if (!ref && skip_invalid) {
                continue;
            }
            if (!ref) {
                return input_error("invalid image reference \"" + printable(site.value, 200)
                                       + "\": " + ref.error().what,
                                   format_location(file.display, site.line, site.column));
            }
            const std::string name = ref->normalized();
            auto [it, inserted] = index.emplace(name, out.size());
            if (inserted) {
                out.push_back({name, ImageLocator::from(*ref), {}});
            }
            ManifestUse use;
            use.file = file.display;
            use.line = site.line;
            use.column = site.column;
            if (site.object < m.objects.size()) {
                use.object = m.objects[site.object].display();
                use.ignore = m.objects[site.object].ignore_annotation;
            }
            if (const auto c = container_of.find(i); c != container_of.end()) {
                const ContainerFact& fact = *c->second;
                use.container = fact.name.empty() ? std::string("(unnamed)") : fact.name;
                use.command = fact.command;
                use.args = fact.args;
                use.exec_commands = fact.exec_commands;
                use.mount_paths = fact.mount_paths;
                use.non_root =
                    fact.non_root || (fact.pod_spec < m.pod_specs.size() && m.pod_specs[fact.pod_spec].non_root);
            }
            out[it->second].uses.push_back(std::move(use));
        }
    }
    return out;
}

} // namespace image_secure::audit
