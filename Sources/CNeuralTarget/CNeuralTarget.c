// Header-only module: the constants in CNeuralTarget.h are all there is.
#include "CNeuralTarget.h"
