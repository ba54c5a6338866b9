#pragma once

// Umbrella header of vigil::rules: governance rules applied before, during and after training.

#include "vigil/rules/baseline.h"
#include "vigil/rules/errors.h"
#include "vigil/rules/evaluate.h"
#include "vigil/rules/format.h"
#include "vigil/rules/monitor.h"
#include "vigil/rules/path.h"
#include "vigil/rules/policy.h"
#include "vigil/rules/registry.h"
#include "vigil/rules/rule.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/storage.h"
#include "vigil/rules/types.h"
