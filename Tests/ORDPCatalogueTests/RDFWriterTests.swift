import ORDPCatalogue
import Testing

/// The RDF writers on their own (no I/O): escaping, IRIs, the shape of each format.
@Suite struct RDFWriterTests {
  let node = RDFNode(
    subject: .iri("https://x.example/datasets/a b"), types: ["dcat:Dataset"],
    properties: [
      ("dct:title", .literal("Say \"hi\"\n\\ \u{7}ü")),
      ("dct:issued", .literal("2024-01-01T00:00:00Z", datatype: "xsd:dateTime")),
      ("dct:spatial", .blank("b1")),
      ("dcat:keyword", .literal("a")), ("dcat:keyword", .literal("b")),
    ])

  @Test func turtleEscapesLiteralsAndIRIs() {
    let text = TurtleWriter().node(node)
    #expect(text.hasPrefix("<https://x.example/datasets/a%20b> a dcat:Dataset ;\n"))
    #expect(text.contains(#"dct:title "Say \"hi\"\n\\ \u0007ü" ;"#))
    #expect(text.contains(#"dct:issued "2024-01-01T00:00:00Z"^^xsd:dateTime ;"#))
    #expect(text.contains("dct:spatial _:b1 ;"))
    #expect(text.hasSuffix("dcat:keyword \"b\" .\n\n"))
    #expect(TurtleWriter().header().contains("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"))
  }

  @Test func jsonLDGroupsValuesByPredicateAndSeparatesNodes() {
    let writer = JSONLDWriter()
    let first = writer.node(node, first: true)
    #expect(
      first.hasPrefix(#"{"@id": "https://x.example/datasets/a%20b", "@type": ["dcat:Dataset"]"#))
    #expect(first.contains(#""dct:title": [{"@value": "Say \"hi\"\n\\ \u0007ü"}]"#))
    #expect(first.contains(#""dct:spatial": [{"@id": "_:b1"}]"#))
    #expect(first.contains(#""dcat:keyword": [{"@value": "a"}, {"@value": "b"}]"#))
    #expect(writer.node(node, first: false).hasPrefix(",\n{"))
  }

  @Test func rdfXMLEscapesTextAndExpandsNames() {
    let writer = RDFXMLWriter()
    #expect(writer.header().contains(#"xmlns:dcat="http://www.w3.org/ns/dcat#""#))
    let text = writer.node(node)
    #expect(text.hasPrefix(#"  <rdf:Description rdf:about="https://x.example/datasets/a%20b">"#))
    #expect(
      text.contains(#"<rdf:type rdf:resource="http://www.w3.org/ns/dcat#Dataset"/>"#))
    // XML 1.0 cannot carry U+0007, even as a reference: it becomes U+FFFD.
    #expect(text.contains("<dct:title>Say \"hi\"\n\\ \u{FFFD}ü</dct:title>"))
    #expect(
      text.contains(
        #"<dct:issued rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2024-01-01T00:00:00Z</dct:issued>"#
      ))
    #expect(text.contains(#"<dct:spatial rdf:nodeID="b1"/>"#))
    let markup = RDFNode(
      subject: .iri("https://x.example/?a=1&b=\"2\""), types: [],
      properties: [("dct:title", .literal("<b>Tom & Jerry</b>\r\n"))])
    let escaped = writer.node(markup)
    #expect(escaped.contains(#"rdf:about="https://x.example/?a=1&amp;b=%222%22""#))
    #expect(escaped.contains("<dct:title>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;&#13;\n</dct:title>"))
    #expect(writer.footer() == "</rdf:RDF>\n")
  }

  @Test func iriCharactersOutsideTheGrammarArePercentEncoded() {
    #expect(
      RDFVocabulary.safeIRI("https://a.de/x?q=a b&c=<d>") == "https://a.de/x?q=a%20b&c=%3Cd%3E")
    #expect(RDFVocabulary.safeIRI("https://a.de/straße") == "https://a.de/straße")
    #expect(RDFVocabulary.safeIRI("https://a.de/\"{|}^`\\") == "https://a.de/%22%7B%7C%7D%5E%60%5C")
  }
}
