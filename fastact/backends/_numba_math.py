"""Elementary functions for the Numba backends (placeholder: libm through math.*)."""

import math

import numpy as np
from numba import njit


@njit
def exp_f64(x):
    return math.exp(x)


@njit
def expm1_f64(x):
    return math.expm1(x)


@njit
def log1p_f64(x):
    return math.log1p(x)


@njit
def log_f64(x):
    return math.log(x)


@njit
def tanh_f64(x):
    return math.tanh(x)


@njit
def exp_f32(x):
    return np.float32(math.exp(np.float64(x)))


@njit
def expm1_f32(x):
    return np.float32(math.expm1(np.float64(x)))


@njit
def log1p_f32(x):
    return np.float32(math.log1p(np.float64(x)))


@njit
def log_f32(x):
    return np.float32(math.log(np.float64(x)))


@njit
def tanh_f32(x):
    return np.float32(math.tanh(np.float64(x)))
