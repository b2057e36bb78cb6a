/* abstain-json-scan.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * AbstainJsonScan:
 * @ABSTAIN_JSON_SCAN_OK: the text may be given to json-glib
 * @ABSTAIN_JSON_SCAN_TOO_DEEP: arrays and objects nest deeper than allowed
 * @ABSTAIN_JSON_SCAN_BAD_NUMBER: an integer does not fit in 64 bits
 * @ABSTAIN_JSON_SCAN_NUL: a string holds an escaped NUL
 * @ABSTAIN_JSON_SCAN_NOT_JSON: anything else JSON does not allow
 *
 * What abstain_json_scan() found.
 */
typedef enum
{
  ABSTAIN_JSON_SCAN_OK,
  ABSTAIN_JSON_SCAN_TOO_DEEP,
  ABSTAIN_JSON_SCAN_BAD_NUMBER,
  ABSTAIN_JSON_SCAN_NUL,
  ABSTAIN_JSON_SCAN_NOT_JSON,
} AbstainJsonScan;

AbstainJsonScan abstain_json_scan (const char *data,
                                   gsize       length,
                                   guint       max_depth);

G_END_DECLS
