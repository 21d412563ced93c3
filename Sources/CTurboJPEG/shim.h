#ifndef SLIPLINE_CTURBOJPEG_SHIM_H
#define SLIPLINE_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>
#endif
