/* libinjection's own answers, from the copy libmodsecurity embeds and exports: the oracle for
 * tests/libinjection_differential.rs. Built by that test with gcc, linked with -lmodsecurity.
 *
 * Input: records "<length>\n<length bytes>". Output per record: "<sqli 0|1> <fingerprint|-> <xss 0|1>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int libinjection_sqli(const char *s, size_t slen, char fingerprint[]);
int libinjection_xss(const char *s, size_t slen);

int main(void) {
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (line[0] == '\n') continue;
        size_t length = strtoul(line, NULL, 10);
        char *input = malloc(length + 1);
        if (input == NULL || fread(input, 1, length, stdin) != length) return 1;
        input[length] = '\0';
        char fingerprint[8];
        memset(fingerprint, 0, sizeof fingerprint);
        int sqli = libinjection_sqli(input, length, fingerprint);
        int xss = libinjection_xss(input, length);
        printf("%d %s %d\n", sqli, fingerprint[0] ? fingerprint : "-", xss);
        free(input);
    }
    return 0;
}
