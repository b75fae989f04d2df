#!/usr/bin/python3
"""The feedparser peer of bench/cycle-bench: fetch and parse every URL once with a pool of 8
threads, as a Python reader would, using feedparser's own conditional GET (etag=, modified=).

    cycle_feedparser.py URLS STATE

URLS has one URL a line. STATE is a JSON file of {url: [etag, modified]}: read when it exists
(the warm and changed runs send If-None-Match / If-Modified-Since from it) and rewritten with
what the servers answered. Prints "feeds N items M not_modified K failed F".

feedparser's conditional GET: https://feedparser.readthedocs.io/en/latest/http-etag.html
"""
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import feedparser


def fetch(url, previous):
    etag, modified = previous.get(url, (None, None))
    result = feedparser.parse(url, etag=etag, modified=modified)
    return url, result


def main():
    urls_path, state_path = sys.argv[1], sys.argv[2]
    with open(urls_path) as f:
        urls = [line.strip() for line in f if line.strip()]
    previous = {}
    if os.path.exists(state_path):
        with open(state_path) as f:
            previous = json.load(f)
    state, items, not_modified, failed = {}, 0, 0, 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for url, result in pool.map(lambda u: fetch(u, previous), urls):
            status = result.get("status")
            if status == 304:
                not_modified += 1
                state[url] = previous.get(url)
                continue
            if status != 200:
                failed += 1
                continue
            items += len(result.entries)
            state[url] = [result.get("etag"), result.get("modified")]
    with open(state_path, "w") as f:
        json.dump(state, f)
    print(f"feeds {len(urls)} items {items} not_modified {not_modified} failed {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
