// `newsmon import-opml`: turns a feed reader's OPML export into [[feed]] tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace newsmon {

struct OpmlFeed {
  std::string name;  // the outline's title (or text), made unique
  std::string url;
};

// Every outline with an xmlUrl, however deeply nested in categories.
Result<std::vector<OpmlFeed>> ParseOpml(std::string_view document);
std::string FeedTablesToml(const std::vector<OpmlFeed>& feeds);

// Prints the tables, or appends those whose URL is not there yet to config_path,
// checking that the result is still a valid config before replacing the file.
int ImportOpml(const std::string& opml_path, const std::string& append_to);

}  // namespace newsmon
