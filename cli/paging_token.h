/* SPDX-License-Identifier: MIT */
/*
 * The resume tokens of list-metrics, in the aws CLI's (botocore's) format so that a token one
 * prints the other can take: when --max-items stops the listing, the token printed as
 * "NextToken" is base64 of {"NextToken": <the collector's token of the page to resume at, or
 * null for the first page>, "boto_truncate_amount": <items of that page already printed>},
 * the amount left out on a page boundary. A token that is not in that format is the
 * collector's own (as --next-token takes it) and is passed through untouched. Tokens are
 * owned by the caller.
 */
#ifndef STRATUS_CLI_PAGING_TOKEN_H
#define STRATUS_CLI_PAGING_TOKEN_H

#include <stdint.h>

struct st_paging_token {
    char *next_token; /* the collector's token to send; NULL: from the first page */
    uint64_t skip;    /* items of that page to drop */
};

/* Decodes a --starting-token. Returns 0 or -ENOMEM; any string decodes. */
int st_paging_token_decode(const char *s, struct st_paging_token *ret);

/* Encodes (next_token, skip) into a newly allocated string (free with st_free); skip 0 leaves
 * boto_truncate_amount out. Returns 0 or -ENOMEM. */
int st_paging_token_encode(const char *next_token, uint64_t skip, char **ret);

void st_paging_token_fini(struct st_paging_token *t);

#endif
