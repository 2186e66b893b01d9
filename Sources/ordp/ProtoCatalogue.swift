import Foundation
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPEcho
import ORDPIdentityAPI
import ORDPPlatformAPI
import ORDPRPC
import SwiftProtobuf

/// Every method `ordp call` can call (the generated schemas of each service the platform
/// serves) and the protos' definitions with their comments (`ordp describe`), from the
/// descriptor set generated into `ProtoDescriptors.swift`.
struct ProtoCatalogue {
  static let schemas: [MethodSchema] =
    Ordp_Identity_V1_Identity.schemas + Ordp_Catalogue_V1_Catalogue.schemas
    + Ordp_Analytics_V1_Analytics.schemas + Ordp_Platform_V1_Platform.schemas
    + Grpc_Health_V1_Health.schemas + Ordp_Echo_V1_Echo.schemas

  /// The method `name` names: "/pkg.Service/Method", "pkg.Service/Method" or
  /// "pkg.Service.Method".
  static func schema(_ name: String) -> MethodSchema? {
    var path = name.hasPrefix("/") ? name : "/" + name
    if !path.dropFirst().contains("/"), let dot = path.lastIndex(of: ".") {
      path.replaceSubrange(dot...dot, with: "/")
    }
    return schemas.first { $0.descriptor.path == path }
  }

  let files: [Google_Protobuf_FileDescriptorProto]

  init() throws {
    let text = protoDescriptorSetBase64.filter { !$0.isWhitespace }
    guard let data = Data(base64Encoded: text) else {
      throw CLIError("the built-in proto descriptors are damaged")
    }
    files = try Google_Protobuf_FileDescriptorSet(serializedBytes: data).file
  }

  /// A definition found by full name.
  enum Definition {
    case service(Google_Protobuf_ServiceDescriptorProto, file: Google_Protobuf_FileDescriptorProto)
    case message(
      Google_Protobuf_DescriptorProto, path: [Int32], file: Google_Protobuf_FileDescriptorProto)
    case enumeration(
      Google_Protobuf_EnumDescriptorProto, path: [Int32], file: Google_Protobuf_FileDescriptorProto)
  }

  /// The service, message or enum called `name` (a full name without leading dot).
  func definition(_ name: String) -> Definition? {
    for file in files {
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for service in file.service where prefix + service.name == name {
        return .service(service, file: file)
      }
      for (index, message) in file.messageType.enumerated() {
        if let found = find(name, in: message, scope: prefix, path: [4, Int32(index)], file: file) {
          return found
        }
      }
      for (index, enumeration) in file.enumType.enumerated() where prefix + enumeration.name == name
      {
        return .enumeration(enumeration, path: [5, Int32(index)], file: file)
      }
    }
    return nil
  }

  private func find(
    _ name: String, in message: Google_Protobuf_DescriptorProto, scope: String, path: [Int32],
    file: Google_Protobuf_FileDescriptorProto
  ) -> Definition? {
    let full = scope + message.name
    if full == name { return .message(message, path: path, file: file) }
    guard name.hasPrefix(full + ".") else { return nil }
    for (index, nested) in message.nestedType.enumerated() {
      if let found = find(
        name, in: nested, scope: full + ".", path: path + [3, Int32(index)], file: file)
      {
        return found
      }
    }
    for (index, enumeration) in message.enumType.enumerated()
    where full + "." + enumeration.name == name {
      return .enumeration(enumeration, path: path + [4, Int32(index)], file: file)
    }
    return nil
  }

  /// The comment written before the element at `path` of `file`, as `//` lines.
  func comment(
    _ file: Google_Protobuf_FileDescriptorProto, _ path: [Int32], indent: String
  )
    -> String
  {
    guard
      let location = file.sourceCodeInfo.location.first(where: { $0.path == path }),
      !location.leadingComments.isEmpty
    else { return "" }
    return location.leadingComments.split(separator: "\n", omittingEmptySubsequences: false)
      .dropLast(location.leadingComments.hasSuffix("\n") ? 1 : 0)
      .map { "\(indent)//\($0)\n" }.joined()
  }

  /// `definition` written as proto source, with its comments.
  func render(_ definition: Definition) -> String {
    switch definition {
    case .service(let service, let file):
      let index = Int32(file.service.firstIndex(of: service) ?? 0)
      var out = comment(file, [6, index], indent: "") + "service \(service.name) {\n"
      for (number, method) in service.method.enumerated() {
        out += comment(file, [6, index, 2, Int32(number)], indent: "  ")
        let input = (method.clientStreaming ? "stream " : "") + method.inputType.dropFirst()
        let output = (method.serverStreaming ? "stream " : "") + method.outputType.dropFirst()
        out += "  rpc \(method.name)(\(input)) returns (\(output));\n"
      }
      return out + "}"
    case .message(let message, let path, let file):
      var out = comment(file, path, indent: "") + "message \(message.name) {\n"
      for (number, field) in message.field.enumerated() {
        out += comment(file, path + [2, Int32(number)], indent: "  ")
        let label = field.label == .repeated ? "repeated " : ""
        out += "  \(label)\(Self.typeName(field)) \(field.name) = \(field.number);"
        out +=
          field.jsonName.isEmpty || field.jsonName == field.name
          ? "\n" : "  // JSON: \(field.jsonName)\n"
      }
      return out + "}"
    case .enumeration(let enumeration, let path, let file):
      var out = comment(file, path, indent: "") + "enum \(enumeration.name) {\n"
      for (number, value) in enumeration.value.enumerated() {
        out += comment(file, path + [2, Int32(number)], indent: "  ")
        out += "  \(value.name) = \(value.number);\n"
      }
      return out + "}"
    }
  }

  static func typeName(_ field: Google_Protobuf_FieldDescriptorProto) -> String {
    switch field.type {
    case .message, .enum: String(field.typeName.dropFirst())
    case .double: "double"
    case .float: "float"
    case .int64: "int64"
    case .uint64: "uint64"
    case .int32: "int32"
    case .fixed64: "fixed64"
    case .fixed32: "fixed32"
    case .bool: "bool"
    case .string: "string"
    case .bytes: "bytes"
    case .uint32: "uint32"
    case .sfixed32: "sfixed32"
    case .sfixed64: "sfixed64"
    case .sint32: "sint32"
    case .sint64: "sint64"
    default: "group"
    }
  }
}
