/// dlib model readers and face detection (issues 3, 4).
