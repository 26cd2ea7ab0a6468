#include "ccpukernels.h"
