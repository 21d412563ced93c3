import CHDF5

extension HDF5File {
    /// Whether `datasetPath` names a dataset. Never prints HDF5 errors; missing intermediate
    /// groups, soft links to nothing and non-dataset objects all yield `false`.
    public func containsDataset(_ datasetPath: String) -> Bool {
        objectType(at: datasetPath) == H5I_DATASET
    }

    /// Whether `groupPath` names a group (`/` always does).
    public func containsGroup(_ groupPath: String) -> Bool {
        objectType(at: groupPath) == H5I_GROUP
    }

    private func objectType(at rawPath: String) -> H5I_type_t? {
        HDF5Library.locked {
            guard id >= 0 else { return nil }
            let path = HDF5Library.normalize(rawPath)
            if path == "/" { return H5I_GROUP }
            // H5Lexists fails (rather than returning false) when an intermediate group is
            // missing, so check each prefix in turn.
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += "/" + component
                guard H5Lexists(id, prefix, slipline_h5p_default()) > 0 else {
                    _ = HDF5Library.takeErrorStack()
                    return nil
                }
            }
            let object = H5Oopen(id, path, slipline_h5p_default())
            guard object >= 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            defer { _ = H5Oclose(object) }
            return H5Iget_type(object)
        }
    }

    /// Opens the dataset at `datasetPath`.
    public func dataset(_ datasetPath: String) throws -> HDF5Dataset {
        try HDF5Dataset(file: self, path: HDF5Library.normalize(datasetPath))
    }

    /// A dataset found in the file: where it is, its shape and its element type.
    public struct DatasetInfo: Sendable, Equatable {
        public var path: String
        public var shape: [Int]
        public var elementType: HDF5ElementType
        public var rank: Int { shape.count }
    }

    /// Every dataset reachable through hard links, depth-first in name order.
    /// Soft and external links are not followed (they could point outside the file or loop).
    public func datasets() throws -> [DatasetInfo] {
        try HDF5Library.locked {
            try requireOpen()
            var found: [DatasetInfo] = []
            let root = H5Gopen2(id, "/", slipline_h5p_default())
            guard root >= 0 else { throw HDF5Library.error(.corrupt, file: path, problem: "cannot open root group") }
            defer { _ = H5Gclose(root) }
            try walk(group: root, prefix: "", depth: 0, into: &found)
            return found
        }
    }

    private func walk(group: hid_t, prefix: String, depth: Int, into found: inout [DatasetInfo]) throws {
        guard depth < 64 else { return }
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else {
            throw HDF5Library.error(.corrupt, file: path, dataset: prefix.isEmpty ? "/" : prefix, problem: "cannot list group")
        }
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, slipline_h5p_default())
            guard length >= 0 else {
                _ = HDF5Library.takeErrorStack()
                continue
            }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, slipline_h5p_default())
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard slipline_h5l_is_hard(group, name) == 1 else {
                _ = HDF5Library.takeErrorStack()
                continue
            }
            let object = H5Oopen(group, name, slipline_h5p_default())
            guard object >= 0 else {
                _ = HDF5Library.takeErrorStack()
                continue
            }
            defer { _ = H5Oclose(object) }
            let childPath = prefix + "/" + name
            switch H5Iget_type(object) {
            case H5I_GROUP:
                try walk(group: object, prefix: childPath, depth: depth + 1, into: &found)
            case H5I_DATASET:
                let (shape, type, _, _) = try HDF5Dataset.describe(object, file: path, dataset: childPath)
                found.append(DatasetInfo(path: childPath, shape: shape, elementType: type))
            default:
                continue
            }
        }
    }

    /// Creates `groupPath` and any missing parents (like `mkdir -p`); existing groups are kept.
    public func createGroups(_ groupPath: String) throws {
        try HDF5Library.locked {
            try requireOpen(.write, dataset: groupPath)
            try requireWritable(groupPath)
            var prefix = ""
            for component in HDF5Library.normalize(groupPath).split(separator: "/") {
                prefix += "/" + component
                if H5Lexists(id, prefix, slipline_h5p_default()) > 0 {
                    let object = H5Oopen(id, prefix, slipline_h5p_default())
                    let type = object >= 0 ? H5Iget_type(object) : H5I_BADID
                    if object >= 0 { _ = H5Oclose(object) }
                    guard type == H5I_GROUP else {
                        throw HDF5Library.error(
                            .invalidArgument, .write, file: path, dataset: prefix,
                            problem: "exists and is not a group")
                    }
                    continue
                }
                _ = HDF5Library.takeErrorStack()
                let group = H5Gcreate2(id, prefix, slipline_h5p_default(), slipline_h5p_default(), slipline_h5p_default())
                guard group >= 0 else {
                    throw HDF5Library.error(.writeFailed, .write, file: path, dataset: prefix, problem: "cannot create group")
                }
                _ = H5Gclose(group)
            }
        }
    }
}
