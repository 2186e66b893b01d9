// The runtime's public API uses the wire core's types (status, metadata, errors) throughout;
// re-export them so that users and generated code need only `import ORDPRPC`.
@_exported public import ORDPWire
