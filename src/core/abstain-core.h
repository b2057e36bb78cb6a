/* abstain-core.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* What the faces include: the models and the manager. */

#include "abstain-account.h"
#include "abstain-control.h"
#include "abstain-error.h"
#include "abstain-history.h"
#include "abstain-manager.h"
