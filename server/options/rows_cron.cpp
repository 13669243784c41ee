// The cron option: a shell command or a Python call on a schedule. Schedules are parsed
// here, so that a bad one stops gantry at start-up rather than when it would first run.
#include <stdexcept>

#include "server/cron/schedule.hpp"
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

// --cron "SPEC COMMAND".
void store_cron(options& o, std::string_view line) {
    auto [schedule, command] = parse_cron_line(line);
    o.crons.push_back(
        {.schedule = schedule.describe(), .command = command, .call = {}, .timeout = 0});
}

// YAML: {schedule: SPEC, command: CMD} or {schedule: SPEC, call: pkg.mod:function}, with an
// optional timeout.
void store_cron_fields(options& o, const field_list& fields) {
    options::cron_entry entry;
    for (const auto& [key, value] : fields) {
        if (key == "schedule") {
            entry.schedule = cron_schedule::parse(value).describe();
        } else if (key == "command") {
            entry.command = value;
        } else if (key == "call") {
            entry.call = value;
        } else if (key == "timeout") {
            entry.timeout = static_cast<int>(parse_duration(value, 86400));
        } else {
            throw std::invalid_argument(fmt::format(
                "unknown cron key '{}' (want schedule, command or call, timeout)", key));
        }
    }
    if (entry.schedule.empty() || entry.command.empty() == entry.call.empty()) {
        throw std::invalid_argument("a cron entry needs a schedule and one of command or call");
    }
    o.crons.push_back(entry);
}

shown show_crons(const options& o) {
    shown out;
    for (const auto& e : o.crons) {
        out.push_back(fmt::format("{{schedule: {}, {}: {}, timeout: {}s}}", quoted(e.schedule),
                                  e.call.empty() ? "command" : "call",
                                  quoted(e.call.empty() ? e.command : e.call), e.timeout));
    }
    return out;
}

}  // namespace

std::vector<option_def> cron_rows() {
    return {
        {"cron", "unique-cron", section::pool, value_type::text, true, "",
         "run a command on a schedule: \"SPEC COMMAND\" (crontab, @every 10s, @daily, uWSGI's "
         "\"-1 -1 -1 -1 -1\"...); a run still going when the next is due is skipped",
         store_cron, show_crons, store_cron_fields},
    };
}

}  // namespace gantry::server::rows
