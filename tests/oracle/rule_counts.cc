// Prints how many rules libmodsecurity loads per phase from the rule files given as arguments:
// the oracle for tests/rule_counts.rs. Built by that test with g++ against libmodsecurity-dev.
// Output: one line "phase <1..5> <rules> <markers>" per SecLang phase, or "error <message>".
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/rule_marker.h>
#include <iostream>
#include <memory>

int main(int argc, char **argv) {
    auto rules = std::make_unique<modsecurity::RulesSet>();
    for (int i = 1; i < argc; i++) {
        if (rules->loadFromUri(argv[i]) < 0) {
            std::cout << "error " << rules->getParserError() << std::endl;
            return 1;
        }
    }
    // libmodsecurity's phases: 0 connection, 1 uri, 2 request headers (SecLang phase 1),
    // 3 request body (2), 4 response headers (3), 5 response body (4), 6 logging (5).
    for (int phase = 1; phase <= 5; phase++) {
        modsecurity::Rules *list = rules->m_rulesSetPhases[phase + 1];
        size_t markers = 0;
        for (size_t j = 0; j < list->size(); j++) {
            if (dynamic_cast<modsecurity::RuleMarker *>(list->at(j).get()) != nullptr) {
                markers++;
            }
        }
        std::cout << "phase " << phase << " " << list->size() - markers << " " << markers << std::endl;
    }
    return 0;
}
