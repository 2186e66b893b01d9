import ArgumentParser
import Foundation
import ORDPCatalogueAPI
import ORDPRPC

/// `ordp search`: searches the catalogue and prints one line per hit, then the facets.
struct Search: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Search the catalogue (public datasets; more when logged in).")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "Words to find (folded: \"Strasse\" finds \"Straße\").") var words: [String] =
    []
  @Option(help: "Only these towns (repeatable).") var town: [String] = []
  @Option(help: "Only these EU themes, e.g. TRAN (repeatable).") var theme: [String] = []
  @Option(help: "Order: relevance, modified or title.") var sort = "relevance"
  @Option(help: "Hits per page.") var pageSize = 10
  @Option(help: "Page token printed by the previous page.") var pageToken = ""

  func run() async throws {
    var request = Ordp_Catalogue_V1_SearchRequest()
    request.query = words.joined(separator: " ")
    request.publishers = town
    request.themes = theme
    request.pageSize = UInt32(clamping: pageSize)
    request.pageToken = pageToken
    request.facets = true
    switch sort {
    case "relevance": request.sort = .relevance
    case "modified": request.sort = .modified
    case "title": request.sort = .title
    default: throw ValidationError("--sort must be relevance, modified or title")
    }
    let channel = try connection.channel()
    defer { channel.close() }
    do {
      let response = try await Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
        .search(request, options: try await connection.authorizedOptions(channel))
      print("\(response.total) datasets (feed position \(response.position))")
      for hit in response.hits {
        print("\(hit.dataset.publisher)/\(hit.dataset.slug)\t\(hit.dataset.title)")
      }
      for facet in response.facets where !facet.values.isEmpty {
        let values = facet.values.prefix(8).map { "\($0.value) \($0.count)" }
        print("\(facet.field): \(values.joined(separator: ", "))")
      }
      if !response.nextPageToken.isEmpty {
        print("next page: --page-token \(response.nextPageToken)")
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}

/// `ordp export`: the catalogue as DCAT-AP.de RDF on standard output.
struct Export: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Export the catalogue (or one town) as DCAT-AP.de Turtle, JSON-LD or RDF/XML.")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "turtle, json-ld or rdf-xml.") var format = "turtle"
  @Option(help: "Only this town's datasets.") var town = ""

  func run() async throws {
    var request = Ordp_Catalogue_V1_ExportRequest()
    switch format {
    case "turtle": request.format = .turtle
    case "json-ld": request.format = .jsonLd
    case "rdf-xml": request.format = .rdfXml
    default: throw ValidationError("--format must be turtle, json-ld or rdf-xml")
    }
    request.publisher = town
    let channel = try connection.channel()
    defer { channel.close() }
    var options = try await connection.authorizedOptions(channel)
    options.timeout = nil
    do {
      try await Ordp_Catalogue_V1_Catalogue_Client(channel: channel).export(
        request, options: options
      ) { chunks in
        for try await chunk in chunks { try writeOut(chunk.data) }
      }
    } catch let error as RPCError {
      throw failed(error)
    }
  }
}
