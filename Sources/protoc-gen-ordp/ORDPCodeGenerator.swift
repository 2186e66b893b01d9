import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// The protoc plugin: one `<file>.ordp.swift` for every proto file that declares services.
///
/// Parameters (comma separated, as `--ordp_opt=`):
/// - `Visibility=Public|Internal` (default Public)
/// - `ImportRuntime=true|false` (default true; false when generating into ORDPRPC itself)
/// - `ProtoPathModuleMappings=<file>`: which Swift module holds the messages of which proto file
struct ORDPCodeGenerator: CodeGenerator {
  var version: String? { "0.1.0" }
  var projectURL: String? { nil }
  var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] {
    [.proto3Optional]
  }

  func generate(
    files: [FileDescriptor],
    parameter: any CodeGeneratorParameter,
    protoCompilerContext: any ProtoCompilerContext,
    generatorOutputs: any GeneratorOutputs
  ) throws {
    let options = try GeneratorOptions(parameter: parameter)
    for file in files where !file.services.isEmpty {
      let namer = SwiftProtobufNamer(
        currentFile: file, protoFileToModuleMappings: options.moduleMappings)
      let printer = ServiceFilePrinter(file: file, namer: namer, options: options)
      let content = printer.render()
      let name = file.name.replacingOccurrences(of: ".proto", with: "") + ".ordp.swift"
      try generatorOutputs.add(fileName: name, contents: content)
    }
  }
}

/// Options parsed from the plugin parameter.
struct GeneratorOptions {
  enum Visibility: String { case `public` = "Public", `internal` = "Internal" }

  var visibility: Visibility = .public
  var importRuntime = true
  var moduleMappings = ProtoFileToModuleMappings()

  init(parameter: any CodeGeneratorParameter) throws {
    for (key, value) in parameter.parsedPairs {
      switch key {
      case "Visibility":
        guard let v = Visibility(rawValue: value) else {
          throw GenerationError.invalidParameterValue(name: key, value: value)
        }
        self.visibility = v
      case "ImportRuntime":
        self.importRuntime = value == "true"
      case "ProtoPathModuleMappings":
        self.moduleMappings = try ProtoFileToModuleMappings(path: value)
      default:
        throw GenerationError.unknownParameter(name: key)
      }
    }
  }

  var access: String { visibility == .public ? "public" : "internal" }
}

enum GenerationError: Error, CustomStringConvertible {
  case unknownParameter(name: String)
  case invalidParameterValue(name: String, value: String)

  var description: String {
    switch self {
    case .unknownParameter(let name): return "unknown generator parameter '\(name)'"
    case .invalidParameterValue(let name, let value):
      return "invalid value '\(value)' for generator parameter '\(name)'"
    }
  }
}
