#include "server/options/option_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "server/options/option_rows.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

const std::vector<option_def>& all_rows() {
    static const std::vector<option_def> table = make_option_rows();
    return table;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string dashed_names(const option_def& d) {
    std::string flags;
    for (std::string_view n : option_names(d)) {
        flags += fmt::format("{}{}{}", flags.empty() ? "" : ", ", n.size() == 1 ? "-" : "--", n);
    }
    return flags;
}

}  // namespace

// Sections in the order --help shows them.
std::vector<std::string_view> sections() {
    std::vector<std::string_view> out;
    for (const option_def& d : all_rows()) {
        if (std::find(out.begin(), out.end(), d.section) == out.end()) {
            out.push_back(d.section);
        }
    }
    return out;
}

std::string_view placeholder(value_type t) {
    switch (t) {
        case value_type::flag:
            return "";
        case value_type::number:
            return " N";
        case value_type::size:
            return " BYTES";
        case value_type::duration:
            return " SECONDS";
        case value_type::path:
            return " PATH";
        case value_type::text:
            return " VALUE";
    }
    return "";
}

std::vector<std::string_view> option_names(const option_def& d) {
    std::vector<std::string_view> names{d.name};
    std::string_view rest = d.aliases;
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        names.push_back(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    return names;
}

std::span<const option_def> option_table() {
    return all_rows();
}

const option_def* find_option(std::string_view name) {
    // Every name and alias, made once: a config file looks up each of its keys.
    static const std::unordered_map<std::string_view, const option_def*> by_name = [] {
        std::unordered_map<std::string_view, const option_def*> index;
        for (const option_def& d : all_rows()) {
            for (std::string_view n : option_names(d)) {
                index.try_emplace(n, &d);
            }
        }
        return index;
    }();
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

std::string suggest_option(std::string_view name) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 3) + 1;
    for (const option_def& d : all_rows()) {
        for (std::string_view n : option_names(d)) {
            const std::size_t distance = n.size() == 1 ? best_distance : edit_distance(name, n);
            // On a tie, a name with the same first letter ("guid": gid rather than uid).
            const bool same_start = !name.empty() && n.front() == name.front();
            if (distance < best_distance || (distance == best_distance && same_start &&
                                             !best.empty() && best.front() != name.front())) {
                best_distance = distance;
                best = n;
            }
        }
    }
    return best;
}

std::string usage_text() {
    std::string text =
        "usage: gantry [--yaml FILE | --ini FILE] [--module MOD[:CALLABLE] | --wsgi-file PATH] "
        "--socket ADDR [options]\n";
    for (std::string_view section : sections()) {
        text += fmt::format("\n{}:\n", section);
        for (const option_def& d : all_rows()) {
            if (d.section == section) {
                text += fmt::format("  {:<40} {}\n",
                                    dashed_names(d) + std::string(placeholder(d.type)), d.doc);
            }
        }
    }
    return text;
}

std::string options_markdown() {
    std::string md =
        "# Gantry options\n\n"
        "Generated from the option table (`gantry --help` shows the same rows); a test keeps it\n"
        "in sync. Every option works on the command line (`--name value`), in YAML (`name: "
        "value`\nunder `gantry:` or `uwsgi:`) and in INI (`name = value` under `[uwsgi]`). Sizes "
        "take\n`k`/`m`/`g`, durations `s`/`m`/`h`/`d`.\n";
    for (std::string_view section : sections()) {
        md += fmt::format(
            "\n## {}\n\n| option | aliases | default | meaning |\n|---|---|---|---|\n", section);
        for (const option_def& d : all_rows()) {
            if (d.section != section) {
                continue;
            }
            std::string aliases;
            for (std::string_view n : option_names(d)) {
                if (n != d.name) {
                    aliases += fmt::format("{}`{}{}`", aliases.empty() ? "" : " ",
                                           n.size() == 1 ? "-" : "--", n);
                }
            }
            md += fmt::format("| `--{}{}` | {} | {} | {}{} |\n", d.name, placeholder(d.type),
                              aliases, d.default_text, d.doc, d.repeatable ? " (repeatable)" : "");
        }
    }
    return md;
}

std::string config_yaml(const options& o) {
    std::string yaml = "gantry:\n";
    for (const option_def& d : all_rows()) {
        const std::vector<std::string> values = d.show(o);
        if (values.empty()) {
            continue;
        }
        if (!d.repeatable) {
            yaml += fmt::format("  {}: {}\n", d.name, values.front());
            continue;
        }
        yaml += fmt::format("  {}:\n", d.name);
        for (const std::string& v : values) {
            yaml += fmt::format("    - {}\n", v);
        }
    }
    return yaml;
}

void store_all(options& o, std::span<const assignment> assignments, config_problems& problems) {
    for (const assignment& a : assignments) {
        try {
            if (!a.fields.empty()) {
                a.def->store_fields(o, a.fields);
            } else {
                a.def->store(o, a.value);
            }
        } catch (const std::invalid_argument& e) {
            problems.add(a.fields.empty()
                             ? fmt::format("{}: {}, got '{}'", a.origin, e.what(), a.value)
                             : fmt::format("{}: {}", a.origin, e.what()));
        }
    }
}

}  // namespace gantry::server
