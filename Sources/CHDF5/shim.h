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

/* Added for the format layer (Sources/Shared/Formats). */
static inline hid_t slipline_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t slipline_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t slipline_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
/* File types with a fixed byte order, so files written here read the same everywhere. */
static inline hid_t slipline_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t slipline_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t slipline_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t slipline_h5t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t slipline_h5t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t slipline_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t slipline_h5t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t slipline_h5t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t slipline_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t slipline_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t slipline_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t slipline_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t slipline_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t slipline_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline unsigned slipline_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned slipline_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline H5Z_filter_t slipline_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }
/* 1 if `name` (relative to `loc`) is a hard link, 0 if soft/external, -1 on error. H5Lget_info
   and H5L_info_t are version-mapped macros in HDF5 >= 1.12, so this stays in C. */
static inline int slipline_h5l_is_hard(hid_t loc, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    return info.type == H5L_TYPE_HARD ? 1 : 0;
}
