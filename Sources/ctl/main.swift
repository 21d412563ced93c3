import Shared; print(schemaText)
