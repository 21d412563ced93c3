#include <hdf5.h>

/* HDF5's type and property-list identifiers are macros that expand to function calls on
   globals; Swift cannot import them, so they are re-exported here as inline functions. */
static inline hid_t slipline_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t slipline_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t slipline_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t slipline_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t slipline_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t slipline_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t slipline_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t slipline_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t slipline_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t slipline_h5s_all(void) { return H5S_ALL; }
static inline hid_t slipline_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned slipline_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
