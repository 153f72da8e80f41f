// CV4L2: videodev2.h ioctl codes and libv4l2's variadic calls as plain functions Swift can import.
#ifndef CV4L2_H
#define CV4L2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

#ifdef __cplusplus
extern "C" {
#endif

/// v4l2_open without the variadic mode argument (capture devices are never created).
static inline int CV4L2_open(const char *_Nonnull path, int flags) { return v4l2_open(path, flags); }

static inline int CV4L2_close(int fd) { return v4l2_close(fd); }

/// v4l2_ioctl with its one argument spelled out: every VIDIOC_* request takes a struct pointer.
static inline int CV4L2_ioctl(int fd, unsigned long request, void *_Nonnull arg) {
    return v4l2_ioctl(fd, request, arg);
}

static inline void *_Nullable CV4L2_mmap(void *_Nullable start, size_t length, int prot, int flags, int fd,
                                         int64_t offset) {
    return v4l2_mmap(start, length, prot, flags, fd, offset);
}

static inline int CV4L2_munmap(void *_Nonnull start, size_t length) { return v4l2_munmap(start, length); }

/// MAP_FAILED is a cast macro ((void *)-1), which Swift does not import.
static inline void *_Nonnull CV4L2_MAP_FAILED(void) { return MAP_FAILED; }

// _IOR/_IOWR request codes (function-like macros in videodev2.h).
extern const unsigned long CV4L2_VIDIOC_QUERYCAP;
extern const unsigned long CV4L2_VIDIOC_ENUM_FMT;
extern const unsigned long CV4L2_VIDIOC_ENUM_FRAMESIZES;
extern const unsigned long CV4L2_VIDIOC_ENUM_FRAMEINTERVALS;
extern const unsigned long CV4L2_VIDIOC_G_FMT;
extern const unsigned long CV4L2_VIDIOC_S_FMT;
extern const unsigned long CV4L2_VIDIOC_G_PARM;
extern const unsigned long CV4L2_VIDIOC_S_PARM;
extern const unsigned long CV4L2_VIDIOC_REQBUFS;
extern const unsigned long CV4L2_VIDIOC_QUERYBUF;
extern const unsigned long CV4L2_VIDIOC_QBUF;
extern const unsigned long CV4L2_VIDIOC_DQBUF;
extern const unsigned long CV4L2_VIDIOC_STREAMON;
extern const unsigned long CV4L2_VIDIOC_STREAMOFF;

// Pixel format fourccs (v4l2_fourcc is a function-like macro).
extern const uint32_t CV4L2_PIX_FMT_MJPEG;
extern const uint32_t CV4L2_PIX_FMT_JPEG;
extern const uint32_t CV4L2_PIX_FMT_YUYV;
extern const uint32_t CV4L2_PIX_FMT_GREY;
extern const uint32_t CV4L2_PIX_FMT_NV12;
extern const uint32_t CV4L2_PIX_FMT_YUV420;

#ifdef __cplusplus
}
#endif
#endif
