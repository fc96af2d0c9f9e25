/* What the Embedded Swift runtime needs from the C library that newlib does
 * not have: posix_memalign, used by swift_allocObject. The kernels never
 * allocate; the example's string interpolation does. */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

int posix_memalign(void **result, size_t alignment, size_t size);

int posix_memalign(void **result, size_t alignment, size_t size)
{
    void *memory = memalign(alignment < sizeof(void *) ? sizeof(void *) : alignment, size);
    if (memory == NULL) return ENOMEM;
    *result = memory;
    return 0;
}
