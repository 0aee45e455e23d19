/* SPDX-License-Identifier: MIT */
/* Internals of layer_job.c, for its unit test. */
#ifndef STRATUS_VIEWER_LAYER_JOB_PRIVATE_H
#define STRATUS_VIEWER_LAYER_JOB_PRIVATE_H

#include "layer_job.h"

/* Starts the pool if it is not running and returns how many worker threads it has. */
guint st_layer_job_n_workers(void);

#endif
