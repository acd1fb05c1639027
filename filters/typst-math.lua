-- PDF (typst) only: write math that holds \odot with typst's current name for the
-- symbol. Pandoc 3.9 converts \odot to `dot.circle`, which typst 0.15 removed (pandoc
-- 3.10, bundled with Quarto 1.10, writes `dot.o`); the rendered math is otherwise
-- pandoc's own. Runs after Quarto's filters, so equation labels are already in place.

function Math(el)
  if not quarto.doc.is_format("typst") or not el.text:find("\\odot", 1, true) then
    return nil
  end
  local typst = pandoc.write(pandoc.Pandoc({ pandoc.Plain({ el }) }), "typst")
  typst = typst:gsub("%s+$", ""):gsub("dot%.circle", "dot.o")
  return pandoc.RawInline("typst", typst)
end
