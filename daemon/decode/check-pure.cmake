# decode/ is a pure library: fail if any of its files includes libevent,
# pthreads, the configuration or a stage above it.
file(GLOB files ${DIR}/*.c ${DIR}/*.h)
foreach(f ${files})
	file(STRINGS ${f} includes REGEX "^[ \t]*#[ \t]*include")
	foreach(line ${includes})
		if(line MATCHES "event2/|pthread|\"(ops|net|intake|pipeline|sink)/|collector")
			message(FATAL_ERROR "${f}: ${line}: decode/ must not depend on that")
		endif()
	endforeach()
endforeach()
