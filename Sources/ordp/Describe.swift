import ArgumentParser
import Foundation
import ORDPRPC

/// `ordp describe`: the services and methods `ordp call` reaches, and the proto definition
/// of a service, method, message or enum with its comments.
struct Describe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List services and methods, or show a service, method, message or enum.",
    discussion: """
      Without a name: every method with its kind and types. With a service \
      (ordp.catalogue.v1.Catalogue), a method (ordp.catalogue.v1.Catalogue/Search: its \
      request and response messages too), a message or an enum: its proto definition with \
      the comments. Needs no server.
      """)

  @Argument(help: "A service, method, message or enum; nothing for the list.") var name: String?

  func run() async throws {
    let catalogue = try ProtoCatalogue()
    guard let name else {
      var service = ""
      for schema in ProtoCatalogue.schemas {
        if schema.descriptor.service != service {
          service = schema.descriptor.service
          print(service)
        }
        print(
          "  \(schema.descriptor.method) (\(schema.descriptor.kind)): "
            + "\(schema.request.protoMessageName) → \(schema.response.protoMessageName)")
      }
      return
    }
    if let schema = ProtoCatalogue.schema(name),
      name.contains("/") || catalogue.definition(name) == nil
    {
      print("\(schema.descriptor.path) (\(schema.descriptor.kind))\n")
      for type in [schema.request.protoMessageName, schema.response.protoMessageName] {
        if let definition = catalogue.definition(type) {
          print("// \(type)")
          print(catalogue.render(definition) + "\n")
        }
      }
      return
    }
    let trimmed = name.hasPrefix(".") ? String(name.dropFirst()) : name
    guard let definition = catalogue.definition(trimmed) else {
      throw CLIError("nothing called \(name) (ordp describe lists the services and methods)")
    }
    print(catalogue.render(definition))
  }
}
