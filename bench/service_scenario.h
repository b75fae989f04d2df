// cycle-bench's service scenario: newsmon as systemd runs it (`newsmon run`, not --once),
// started on an empty database and watched through its /metrics until its first cycle is
// done, then left alone. It yields what a one-shot run cannot show: the feed-to-publish
// latency of each alert (response collected → alert on the bus, from the daemon's own
// histogram) and the CPU the daemon burns while nothing is due.
#pragma once

#include <string>

namespace newsmon::bench {

struct ServiceFigures {
  std::string error;       // empty when the scenario ran
  double cycle_wall = 0;   // start to every feed fetched and every alert published, seconds
  long alerts = 0;         // published in that cycle
  double p50 = 0;          // feed-to-publish, seconds (Prometheus-style bucket interpolation)
  double p99 = 0;
  double max_bound = 0;    // the upper bound of the bucket holding the slowest alert
  double idle_seconds = 0;
  double idle_cpu = 0;     // CPU seconds the daemon used in those seconds
  long rss_kib = 0;        // the daemon's peak RSS (VmHWM) at the end
};

// `config` must enable [metrics] on 127.0.0.1:0 and give feeds an interval longer than the
// run, so the idle period is idle; `database` starts empty.
ServiceFigures RunService(const std::string& newsmon, const std::string& config,
                          const std::string& database, int feeds, double idle_seconds,
                          const std::string& log);

}  // namespace newsmon::bench
