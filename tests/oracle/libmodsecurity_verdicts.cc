// Runs raw HTTP requests through libmodsecurity (phases 1, 2 and 5, as the nginx connector does
// for a request) and prints which rule ids logged a match: the incumbent's answer for the
// differential check of the CRS regression suite. Built with g++ against libmodsecurity-dev.
//
// Usage: libmodsecurity_verdicts RULES_FILE < records
// Input: records "<length>\n<length bytes: one raw HTTP/1.x request>".
// Output: one line per record, "ids <id> <id> ..." (in log order, duplicates kept), or
// "error <reason>" for a request it cannot parse.
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

static std::vector<std::string> matched_ids;

static void on_log(void *, const void *message) {
    static const std::regex id("\\[id \"(\\d+)\"\\]");
    std::string line(static_cast<const char *>(message));
    std::smatch found;
    if (std::regex_search(line, found, id)) {
        matched_ids.push_back(found[1]);
        if (getenv("ORACLE_VERBOSE")) std::cerr << line << std::endl;
    }
}

static std::string dechunk(const std::string &raw) {
    std::string out;
    size_t at = 0;
    while (at < raw.size()) {
        size_t line_end = raw.find("\r\n", at);
        if (line_end == std::string::npos) break;
        size_t size = std::strtoul(raw.substr(at, line_end - at).c_str(), nullptr, 16);
        if (size == 0) break;
        out += raw.substr(line_end + 2, size);
        at = line_end + 2 + size + 2;
    }
    return out;
}

static bool run(modsecurity::ModSecurity *engine, modsecurity::RulesSet *rules, const std::string &raw) {
    size_t head_end = raw.find("\r\n\r\n");
    size_t separator = 4;
    if (head_end == std::string::npos) {
        head_end = raw.find("\n\n");
        separator = 2;
    }
    if (head_end == std::string::npos) {
        head_end = raw.size();
        separator = 0;
    }
    std::string head = raw.substr(0, head_end);
    std::string body = raw.substr(std::min(raw.size(), head_end + separator));
    size_t line_end = head.find('\n');
    std::string request_line = head.substr(0, line_end);
    if (!request_line.empty() && request_line.back() == '\r') request_line.pop_back();
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return false;
    std::string method = request_line.substr(0, sp1);
    std::string uri = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string protocol = request_line.substr(sp2 + 1);
    std::string version = protocol.rfind("HTTP/", 0) == 0 ? protocol.substr(5) : protocol;

    modsecurity::Transaction *t = msc_new_transaction(engine, rules, nullptr);
    msc_process_connection(t, "127.0.0.1", 40000, "127.0.0.1", 80);
    msc_process_uri(t, uri.c_str(), method.c_str(), version.c_str());
    size_t at = line_end == std::string::npos ? head.size() : line_end + 1;
    long content_length = -1;
    bool chunked = false;
    while (at < head.size()) {
        size_t end = head.find('\n', at);
        if (end == std::string::npos) end = head.size();
        std::string header = head.substr(at, end - at);
        if (!header.empty() && header.back() == '\r') header.pop_back();
        size_t colon = header.find(':');
        if (colon != std::string::npos) {
            std::string name = header.substr(0, colon);
            size_t value_start = header.find_first_not_of(" \t", colon + 1);
            std::string value = value_start == std::string::npos ? "" : header.substr(value_start);
            if (strcasecmp(name.c_str(), "Content-Length") == 0) content_length = std::atol(value.c_str());
            if (strcasecmp(name.c_str(), "Transfer-Encoding") == 0 && strcasestr(value.c_str(), "chunked"))
                chunked = true;
            msc_add_n_request_header(t, reinterpret_cast<const unsigned char *>(name.data()), name.size(),
                                     reinterpret_cast<const unsigned char *>(value.data()), value.size());
        }
        at = end + 1;
    }
    // The body as nginx hands it to a module: Content-Length bytes, or the chunks decoded.
    if (chunked) {
        body = dechunk(body);
    } else if (content_length >= 0) {
        body = body.substr(0, std::min(body.size(), static_cast<size_t>(content_length)));
    } else {
        body.clear();
    }
    msc_process_request_headers(t);
    if (!body.empty()) {
        msc_append_request_body(t, reinterpret_cast<const unsigned char *>(body.data()), body.size());
    }
    msc_process_request_body(t);
    msc_process_logging(t);
    msc_transaction_cleanup(t);
    return true;
}

using namespace modsecurity;

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: libmodsecurity_verdicts RULES_FILE < records" << std::endl;
        return 2;
    }
    modsecurity::ModSecurity *engine = msc_init();
    msc_set_connector_info(engine, "secrules differential oracle");
    msc_set_log_cb(engine, on_log);
    modsecurity::RulesSet *rules = msc_create_rules_set();
    const char *error = nullptr;
    if (msc_rules_add_file(rules, argv[1], &error) < 0) {
        std::cout << "error " << (error ? error : "rules did not load") << std::endl;
        return 1;
    }
    std::string length_line;
    while (std::getline(std::cin, length_line)) {
        if (length_line.empty()) continue;
        size_t length = std::stoul(length_line);
        std::string raw(length, '\0');
        std::cin.read(&raw[0], static_cast<std::streamsize>(length));
        matched_ids.clear();
        if (!run(engine, rules, raw)) {
            std::cout << "error unparsable request" << std::endl;
            continue;
        }
        std::cout << "ids";
        for (const std::string &id : matched_ids) std::cout << " " << id;
        std::cout << std::endl;
    }
    msc_rules_cleanup(rules);
    msc_cleanup(engine);
    return 0;
}
