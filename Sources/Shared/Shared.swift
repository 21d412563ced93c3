import CLibPQ
import CHDF5
import CPNG
import COpenBLAS
public let schemaText = String(decoding: PackageResources.schema_sql, as: UTF8.self)
