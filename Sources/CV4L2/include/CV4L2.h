// CV4L2: videodev2.h ioctl codes and libv4l2's variadic calls as plain functions Swift can import.
#ifndef CV4L2_H
#define CV4L2_H
#include <linux/videodev2.h>
#endif
