/// The text of `schema.sql`, embedded at build time (Resources/schema.sql links to it).
public let schemaText = String(decoding: PackageResources.schema_sql, as: UTF8.self)
